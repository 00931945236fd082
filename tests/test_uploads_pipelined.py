"""Uploads sent on to storage while the request body arrives: through the API to moto's S3 over
HTTP, what a refusal, a cut request or a failed commit leaves behind (nothing), and local disk
taking the received file in place."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import mpeg_synth
from support.faults import wait_for
from support.live_server import serve
from support.pipeline import DOOMED, leftover_uploads, row_counts
from support.s3 import s3_client

from podcast.extensions import db
from podcast.models import Episode
from podcast.storage import LocalStorage, S3Storage
from podcast.storage.local import INCOMING_DIR

API = "/api/v1/episodes"
MINUTES = 12  # ~11.5 MB at 128 kbit/s: more than one 8 MiB part


@pytest.fixture(scope="module")
def long_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-minute MP3, sent as two parts."""
    path = tmp_path_factory.mktemp("audio") / "long.mp3"
    mpeg_synth.write_cbr_minutes(path, MINUTES)
    return path


@pytest.fixture(scope="module")
def truncated_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MP3 as long, whose Xing header promises twice the frames it has: refused as truncated
    once it has arrived whole, though its first bytes look like any MP3."""
    path = tmp_path_factory.mktemp("audio") / "cut.mp3"
    frames = round(MINUTES * 60 * 44100 / 1152)
    mpeg_synth.write_mp3(path, mpeg_synth.cbr_bitrates(128, frames), xing=(2 * frames, 10**9))
    return path


@pytest.fixture
def on_s3(app: Any, s3_storage: S3Storage, moto_credentials: None) -> list[str]:
    """The app storing on moto's S3; the value lists the S3 operations it calls, in order."""
    app.extensions["podcast.storage"] = s3_storage
    calls: list[str] = []
    s3_storage.client.meta.events.register(
        "before-call.s3", lambda model, **_: calls.append(model.name)
    )
    return calls


def _bucket(endpoint: str, bucket: str) -> tuple[list[str], list[str]]:
    client = s3_client(endpoint)
    objects = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    uploads = [u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    return objects, uploads


def _post(client: Any, headers: dict[str, str], audio: Path, title: str) -> Any:
    data = {"title": title, "status": "published", "audio": (audio.open("rb"), audio.name)}
    return client.post(API, headers=headers, data=data, content_type="multipart/form-data")


def test_refused_audio_leaves_no_multipart_upload_and_no_object(
    client, api_token, show, on_s3, s3_endpoint, s3_bucket, truncated_mp3, upload_tmp
) -> None:
    response = _post(client, api_token(), truncated_mp3, "Оборванная запись")
    assert response.status_code == 422
    assert "truncated" in response.get_json()["error"]["fields"]["audio"]
    assert "UploadPart" in on_s3, "the upload was never sent while it arrived"
    assert "AbortMultipartUpload" in on_s3
    assert _bucket(s3_endpoint, s3_bucket) == ([], [])
    assert row_counts() == (0, 0)
    assert leftover_uploads(upload_tmp) == []


def test_a_form_refused_for_another_field_aborts_the_audio_sent_ahead(
    client, api_token, show, on_s3, s3_endpoint, s3_bucket, long_mp3, upload_tmp
) -> None:
    data = {"title": "", "status": "published", "audio": (long_mp3.open("rb"), long_mp3.name)}
    response = client.post(API, headers=api_token(), data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "UploadPart" in on_s3
    assert _bucket(s3_endpoint, s3_bucket) == ([], [])
    assert row_counts() == (0, 0)
    assert leftover_uploads(upload_tmp) == []


def test_a_failed_commit_deletes_the_completed_object(
    client, api_token, show, on_s3, s3_endpoint, s3_bucket, long_mp3, upload_tmp,
    refusing_database,
) -> None:  # fmt: skip
    response = _post(client, api_token(), long_mp3, f"{DOOMED} on S3")
    assert response.status_code >= 500
    assert "CompleteMultipartUpload" in on_s3 and "DeleteObject" in on_s3
    assert _bucket(s3_endpoint, s3_bucket) == ([], [])
    assert row_counts() == (0, 0)
    assert leftover_uploads(upload_tmp) == []


@contextlib.contextmanager
def _raw_post(
    base_url: str, headers: dict[str, str], audio: Path, *, method: str = "POST", path: str = API,
    fields: dict[str, str] | None = None,
) -> Iterator[Any]:  # fmt: skip
    """A multipart request whose body is sent piece by piece; yields send(n) and the socket."""
    boundary = "pipelinetestboundary0b7"
    body = b""
    for name, value in (fields if fields is not None else {"title": "Обрыв"}).items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        body += value.encode() + b"\r\n"
    body += (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="a.mp3"\r\n'
            "Content-Type: audio/mpeg\r\n\r\n"
        ).encode()
        + audio.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    port = int(base_url.rsplit(":", 1)[1])
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: {headers['Authorization']}\r\nContent-Length: {len(body)}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nConnection: close\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(head)
    sent = 0

    def send(count: int | None = None) -> None:
        nonlocal sent
        end = len(body) if count is None else sent + count
        sock.sendall(body[sent:end])
        sent = end

    try:
        yield send, sock
    finally:
        sock.close()


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    """The status and body of the server's answer (Connection: close)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_audio_goes_to_s3_part_by_part_while_it_arrives(
    app, api_token, show, on_s3, s3_endpoint, s3_bucket, long_mp3, upload_tmp
) -> None:
    fields = {"title": "Долгий разговор", "status": "published"}
    with serve(app) as base_url, _raw_post(base_url, api_token(), long_mp3, fields=fields) as (
        send, sock,
    ):  # fmt: skip
        send(10 * 1024 * 1024)
        # The first part is in storage while the body is still arriving.
        wait_for(lambda: "UploadPart" in on_s3)
        send()
        status, answer = _answer(sock)
    assert status == 201, answer
    body = json.loads(answer)
    [key] = _bucket(s3_endpoint, s3_bucket)[0]
    assert key.startswith(f"media/episodes/{body['guid']}/audio-") and key.endswith(".mp3")
    assert _bucket(s3_endpoint, s3_bucket)[1] == []
    # One transfer: the parts sent while receiving became the object, nothing was put again.
    assert on_s3.count("CreateMultipartUpload") == 1 and on_s3.count("UploadPart") == 2
    assert "PutObject" not in on_s3 and "CopyObject" not in on_s3
    stored = s3_client(s3_endpoint).get_object(Bucket=s3_bucket, Key=key)
    assert stored["ContentType"] == "audio/mpeg"
    digest = hashlib.sha256(long_mp3.read_bytes()).hexdigest()
    assert hashlib.sha256(stored["Body"].read()).hexdigest() == digest
    episode = db.session.get(Episode, body["id"])
    assert episode.audio.sha256 == digest
    assert abs(episode.audio.duration_seconds - MINUTES * 60) < 0.1
    assert leftover_uploads(upload_tmp) == []


def test_a_request_cut_mid_body_leaves_nothing(
    app, api_token, show, on_s3, s3_endpoint, s3_bucket, long_mp3, upload_tmp
) -> None:
    headers = api_token()
    with serve(app) as base_url, _raw_post(base_url, headers, long_mp3) as (send, sock):
        for _ in range(40):  # 10 MiB of the ~11.5 MB: past the first part
            send(256 * 1024)
        wait_for(lambda: "UploadPart" in on_s3)
        sock.shutdown(socket.SHUT_RDWR)  # the client goes away mid-body
        sock.close()
        wait_for(lambda: "AbortMultipartUpload" in on_s3)
        wait_for(lambda: _bucket(s3_endpoint, s3_bucket) == ([], []))
        wait_for(lambda: leftover_uploads(upload_tmp) == [])
    assert row_counts() == (0, 0)


def test_replaced_audio_is_sent_ahead_under_the_episode_guid(
    app, client, api_token, show, on_s3, s3_endpoint, s3_bucket, long_mp3, upload_tmp
) -> None:
    from support.data import SAMPLE_MP3

    headers = api_token()
    created = _post(client, headers, SAMPLE_MP3, "Замена").get_json()
    on_s3.clear()
    path = f"{API}/{created['id']}"
    with (
        serve(app) as base_url,
        _raw_post(base_url, headers, long_mp3, method="PATCH", path=path, fields={}) as (
            send,
            sock,
        ),
    ):
        send(10 * 1024 * 1024)
        wait_for(lambda: "UploadPart" in on_s3)
        send()
        status, answer = _answer(sock)
    assert status == 200, answer
    db.session.expire_all()
    episode = db.session.get(Episode, created["id"])
    assert episode.audio.key.startswith(f"episodes/{created['guid']}/audio-")
    assert on_s3.count("UploadPart") == 2 and "PutObject" not in on_s3
    objects, uploads = _bucket(s3_endpoint, s3_bucket)
    assert f"media/{episode.audio.key}" in objects and uploads == []
    assert leftover_uploads(upload_tmp) == []


def test_local_storage_takes_the_received_file_in_place(
    client, api_token, show, storage: LocalStorage, long_mp3, monkeypatch
) -> None:
    def no_copy(*_: Any, **__: Any) -> Any:
        raise AssertionError("the received file was copied instead of linked into place")

    monkeypatch.setattr(LocalStorage, "put", no_copy)
    response = _post(client, api_token(), long_mp3, "На месте")
    assert response.status_code == 201, response.get_json()
    [key] = storage.iter_keys()
    assert storage.local_path(key).read_bytes() == long_mp3.read_bytes()
    assert storage.stat(key).content_type == "audio/mpeg"
    assert list((storage.root / INCOMING_DIR).iterdir()) == []
    assert storage.incomplete_uploads() == []


def test_local_storage_refusal_leaves_no_file(
    client, api_token, show, storage: LocalStorage, truncated_mp3
) -> None:
    response = _post(client, api_token(), truncated_mp3, "Нет")
    assert response.status_code == 422
    assert list(storage.iter_keys()) == []
    assert list((storage.root / INCOMING_DIR).iterdir()) == []
    assert row_counts() == (0, 0)
