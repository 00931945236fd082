"""The API against real S3 (moto's server over HTTP) and with a small upload limit."""

from __future__ import annotations

import http.client
import io
from collections.abc import Iterator
from urllib.parse import urlsplit

from support.api import (
    app_with,
    asset_count,
    episode_count,
    episode_form,
    seed_show_and_token,
    stored_keys,
)
from support.data import SAMPLE_MP3
from support.live_server import serve
from support.s3 import _empty_and_delete, s3_client

API = "/api/v1/episodes"


def _post(client, headers, **fields):  # type: ignore[no-untyped-def]
    return client.post(
        API, headers=headers, data=episode_form(**fields), content_type="multipart/form-data"
    )


def test_s3_happy_path_audio_answers_head_and_range(
    tmp_path, _postgres_schema, s3_endpoint, s3_bucket
):
    settings = {"STORAGE_URL": f"s3://{s3_bucket}/media", "S3_ENDPOINT_URL": s3_endpoint}
    with app_with(tmp_path, _postgres_schema, **settings) as app:
        headers = seed_show_and_token()
        client = app.test_client()
        response = _post(client, headers, status="published")
        assert response.status_code == 201, response.get_json()
        audio = response.get_json()["audio"]
        size = SAMPLE_MP3.stat().st_size
        assert audio["size_bytes"] == size
        [key] = stored_keys(app.extensions["podcast.storage"])
        path = urlsplit(audio["url"]).path
        assert path == f"/media/{key}"
        listed = s3_client(s3_endpoint).list_objects_v2(Bucket=s3_bucket)["Contents"]
        assert [obj["Key"] for obj in listed] == [f"media/{key}"]

        head = client.head(path)
        assert head.status_code == 200
        assert int(head.headers["Content-Length"]) == size
        assert head.headers["Content-Type"] == "audio/mpeg"
        ranged = client.get(path, headers={"Range": "bytes=0-1"})
        assert ranged.status_code == 206
        assert ranged.headers["Content-Range"] == f"bytes 0-1/{size}"
        assert ranged.data == SAMPLE_MP3.read_bytes()[:2]


def test_s3_bucket_gone_is_503_and_no_row(tmp_path, _postgres_schema, s3_endpoint, s3_bucket):
    settings = {"STORAGE_URL": f"s3://{s3_bucket}/media", "S3_ENDPOINT_URL": s3_endpoint}
    with app_with(tmp_path, _postgres_schema, **settings) as app:
        headers = seed_show_and_token()
        _empty_and_delete(s3_client(s3_endpoint), s3_bucket)
        response = _post(app.test_client(), headers)
        assert response.status_code == 503
        error = response.get_json()["error"]
        assert error["code"] == "storage_unavailable" and "Nothing was saved" in error["message"]
        assert episode_count() == 0 and asset_count() == 0


def test_s3_server_down_is_503_and_no_row(tmp_path, _postgres_schema, moto_server_factory):
    server = moto_server_factory()
    s3_client(server.endpoint).create_bucket(Bucket="media-down")
    settings = {"STORAGE_URL": "s3://media-down/media", "S3_ENDPOINT_URL": server.endpoint}
    with app_with(tmp_path, _postgres_schema, **settings) as app:
        headers = seed_show_and_token()
        client = app.test_client()
        assert _post(client, headers, title="Before").status_code == 201
        server.stop()
        response = _post(client, headers, title="After")
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "storage_unavailable"
        assert episode_count() == 1 and asset_count() == 1
        titles = [e["title"] for e in client.get(API, headers=headers).get_json()["items"]]
        assert titles == ["Before"]


def _chunked_multipart(boundary: str, size: int) -> Iterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBig\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="big.mp3"\r\n'
        "Content-Type: audio/mpeg\r\n\r\n"
    ).encode()
    for _ in range(size // 65536):
        yield b"\xff" * 65536
    yield f"\r\n--{boundary}--\r\n".encode()


def test_oversize_uploads_are_413_and_store_nothing(tmp_path, _postgres_schema):
    with app_with(tmp_path, _postgres_schema, MAX_UPLOAD_MB=1) as app:
        headers = seed_show_and_token()
        client = app.test_client()
        storage = app.extensions["podcast.storage"]

        # Over the file limit but inside the request slack: refused while streaming to disk.
        big = (io.BytesIO(b"\xff" * (1024 * 1024 + 300_000)), "big.mp3")
        response = _post(client, headers, audio=big)
        assert response.status_code == 413
        assert response.get_json()["error"]["code"] == "too_large"
        assert "1 MB" in response.get_json()["error"]["message"]

        # A body over MAX_CONTENT_LENGTH with a Content-Length: refused before parsing.
        huge = (io.BytesIO(b"\xff" * (3 * 1024 * 1024)), "huge.mp3")
        response = _post(client, headers, audio=huge)
        assert response.status_code == 413
        assert response.get_json()["error"]["code"] == "too_large"

        # A streamed (chunked, no Content-Length) body through a real server.
        with serve(app) as base:
            conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=30)
            conn.putrequest("POST", API)
            conn.putheader("Authorization", headers["Authorization"])
            conn.putheader("Content-Type", "multipart/form-data; boundary=XyZ")
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            try:
                for part in _chunked_multipart("XyZ", 3 * 1024 * 1024):
                    conn.send(b"%x\r\n%s\r\n" % (len(part), part))
                conn.send(b"0\r\n\r\n")
            except OSError:
                pass  # the server may answer and close before the whole body is sent
            answer = conn.getresponse()
            assert answer.status == 413
            assert b'"too_large"' in answer.read()
            conn.close()

        assert episode_count() == 0 and asset_count() == 0
        assert stored_keys(storage) == []
        # Under the limit is fine.
        assert _post(client, headers).status_code == 201
