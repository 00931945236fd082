"""The upload pipeline against moto's S3 server over HTTP, with real faults: no row, no orphan."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError
from support import mpeg_synth
from support.data import SAMPLE_MP3
from support.pipeline import (
    DOOMED,
    episode_input,
    leftover_uploads,
    row_counts,
    upload_of,
)
from support.s3 import MotoProcess, s3_client

from podcast.errors import StorageUnavailableError
from podcast.extensions import db
from podcast.models import Episode
from podcast.services.episodes import Attachments, create_episode, delete_episode, update_episode
from podcast.storage import S3Storage

MAX = 200 * 1024 * 1024


@pytest.fixture(scope="module")
def big_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 25-minute 128 kbit/s MP3 (~24 MB): large enough for a multipart upload."""
    path = tmp_path_factory.mktemp("audio") / "long.mp3"
    mpeg_synth.write_cbr_minutes(path, 25)
    return path


@pytest.fixture(autouse=True)
def _credentials(moto_credentials: None) -> None:
    """moto's test credentials, whichever fixture starts the server."""


def _create(storage: S3Storage, show: Any, audio: Path, **raw: Any) -> Episode:
    return create_episode(
        db.session, storage, show, episode_input(show, **raw),
        Attachments(audio=upload_of(audio)), max_bytes=MAX,
    )  # fmt: skip


def _bucket_state(endpoint: str, bucket: str) -> tuple[list[str], list[str]]:
    client = s3_client(endpoint)
    objects = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    uploads = [u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    return objects, uploads


def _on_first_part(storage: S3Storage, action: Callable[[dict[str, Any]], None]) -> list[int]:
    """Run `action` once, when the first multipart part is about to be sent (the fault's timing)."""
    fired: list[int] = []
    lock = threading.Lock()

    def handler(params: dict[str, Any], **_: Any) -> None:
        with lock:
            if not fired:
                fired.append(params["PartNumber"])
                action(params)

    storage.client.meta.events.register("before-parameter-build.s3.UploadPart", handler)
    return fired


def test_multipart_upload_through_the_pipeline(
    s3_storage: S3Storage, s3_endpoint: str, s3_bucket: str, show, big_mp3: Path, upload_tmp
) -> None:
    episode = _create(s3_storage, show, big_mp3)
    objects, uploads = _bucket_state(s3_endpoint, s3_bucket)
    assert objects == [f"media/{episode.audio.key}"]
    assert uploads == []
    head = s3_client(s3_endpoint).head_object(Bucket=s3_bucket, Key=objects[0])
    assert head["ContentLength"] == big_mp3.stat().st_size == episode.audio.size_bytes
    assert head["ContentType"] == "audio/mpeg"
    assert abs(episode.audio.duration_seconds - 25 * 60) < 0.1
    assert leftover_uploads(upload_tmp) == []


def test_server_stopped_mid_upload(
    moto_server_factory: Callable[..., MotoProcess], show, big_mp3: Path, upload_tmp
) -> None:
    server = moto_server_factory()
    s3_client(server.endpoint).create_bucket(Bucket="halfway")
    storage = S3Storage("halfway", "media", endpoint_url=server.endpoint)
    fired = _on_first_part(storage, lambda _params: server.stop())
    with pytest.raises(StorageUnavailableError) as caught:
        _create(storage, show, big_mp3)
    assert fired, "the upload never reached its multipart stage"
    assert caught.value.status == 503
    assert "cannot connect" in caught.value.message
    assert "Nothing was saved" in caught.value.message
    assert row_counts() == (0, 0)
    assert leftover_uploads(upload_tmp) == []


def test_multipart_upload_lost_halfway_leaves_no_parts(
    s3_storage: S3Storage, s3_endpoint: str, s3_bucket: str, show, big_mp3: Path, upload_tmp
) -> None:
    other = s3_client(s3_endpoint)

    def abort(params: dict[str, Any]) -> None:
        other.abort_multipart_upload(
            Bucket=params["Bucket"], Key=params["Key"], UploadId=params["UploadId"]
        )

    fired = _on_first_part(s3_storage, abort)
    with pytest.raises(StorageUnavailableError) as caught:
        _create(s3_storage, show, big_mp3)
    assert fired
    assert "Nothing was saved" in caught.value.message
    assert _bucket_state(s3_endpoint, s3_bucket) == ([], [])
    assert row_counts() == (0, 0)
    assert leftover_uploads(upload_tmp) == []


def test_missing_bucket(
    s3_storage: S3Storage, s3_endpoint: str, s3_bucket: str, show, upload_tmp
) -> None:
    s3_client(s3_endpoint).delete_bucket(Bucket=s3_bucket)
    with pytest.raises(StorageUnavailableError) as caught:
        _create(s3_storage, show, SAMPLE_MP3)
    assert caught.value.status == 503
    assert f"the bucket '{s3_bucket}' does not exist" in caught.value.message
    assert row_counts() == (0, 0)
    assert leftover_uploads(upload_tmp) == []


def test_wrong_credentials(
    moto_server_factory: Callable[..., MotoProcess],
    monkeypatch: pytest.MonkeyPatch,
    show,
    upload_tmp,
) -> None:
    server = moto_server_factory(authenticated=True)
    s3_client(server.endpoint).create_bucket(Bucket="locked")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value")
    storage = S3Storage("locked", endpoint_url=server.endpoint)
    with pytest.raises(StorageUnavailableError) as caught:
        _create(storage, show, SAMPLE_MP3)
    assert "denied" in caught.value.message and "credentials" in caught.value.message
    assert "wrong-secret-value" not in caught.value.message
    assert row_counts() == (0, 0)
    assert leftover_uploads(upload_tmp) == []


def test_failed_commit_deletes_the_object_from_the_bucket(
    s3_storage: S3Storage,
    s3_endpoint: str,
    s3_bucket: str,
    show,
    upload_tmp,
    refusing_database: str,
) -> None:
    with pytest.raises(DBAPIError):
        _create(s3_storage, show, SAMPLE_MP3, title=f"{DOOMED} on S3")
    assert _bucket_state(s3_endpoint, s3_bucket) == ([], [])
    assert row_counts() == (0, 0)
    assert leftover_uploads(upload_tmp) == []


def test_replace_and_delete_on_s3(
    s3_storage: S3Storage, s3_endpoint: str, s3_bucket: str, show, big_mp3: Path
) -> None:
    episode = _create(s3_storage, show, SAMPLE_MP3)
    guid, old_key = episode.guid, episode.audio.key
    update_episode(
        db.session, s3_storage, episode, episode_input(show, title=episode.title),
        Attachments(audio=upload_of(big_mp3)), max_bytes=MAX,
    )  # fmt: skip
    assert episode.guid == guid and episode.audio.key != old_key
    assert _bucket_state(s3_endpoint, s3_bucket) == ([f"media/{episode.audio.key}"], [])
    delete_episode(db.session, s3_storage, episode)
    assert _bucket_state(s3_endpoint, s3_bucket) == ([], [])
    assert row_counts() == (0, 0)


def test_check_lists_and_fixes_orphans_on_s3(
    app, runner, s3_storage: S3Storage, s3_endpoint: str, s3_bucket: str, show
) -> None:
    app.extensions["podcast.storage"] = s3_storage
    kept = _create(s3_storage, show, SAMPLE_MP3, title="Kept")
    lost = _create(s3_storage, show, SAMPLE_MP3, title="Lost")
    client = s3_client(s3_endpoint)
    client.put_object(Bucket=s3_bucket, Key="media/episodes/crashed/audio-x.mp3", Body=b"x")
    client.delete_object(Bucket=s3_bucket, Key=f"media/{lost.audio.key}")

    found = runner.invoke(args=["check", "--older-than", "0"])
    assert found.exit_code == 1
    assert "object without a row (found): episodes/crashed/audio-x.mp3" in found.output
    assert f"row without an object: {lost.audio.key}" in found.output

    fixed = runner.invoke(args=["check", "--fix", "--older-than", "0"])
    assert fixed.exit_code == 0, fixed.output
    assert "object without a row (removed): episodes/crashed/audio-x.mp3" in fixed.output
    objects, _ = _bucket_state(s3_endpoint, s3_bucket)
    assert objects == [f"media/{kept.audio.key}"]


def test_api_answers_503_when_storage_is_down(
    app,
    client,
    api_token,
    show,
    moto_server_factory: Callable[..., MotoProcess],
    upload_tmp,
) -> None:
    server = moto_server_factory()
    s3_client(server.endpoint).create_bucket(Bucket="down")
    app.extensions["podcast.storage"] = S3Storage("down", endpoint_url=server.endpoint)
    headers = api_token("producer")
    server.stop()
    response = client.post(
        "/api/v1/episodes",
        headers=headers,
        data={
            "title": "Почему молчат пострадавшие",
            "status": "published",
            "audio": (SAMPLE_MP3.open("rb"), SAMPLE_MP3.name),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "storage_unavailable"
    assert "Nothing was saved" in error["message"]
    assert row_counts() == (0, 0)
    assert leftover_uploads(upload_tmp) == []
