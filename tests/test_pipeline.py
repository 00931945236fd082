"""The upload pipeline on local disk: stream, hash, inspect, refuse, store, commit; no leftovers."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError
from support.data import FIXTURES, SAMPLE_MP3
from support.pipeline import (
    DOOMED,
    episode_input,
    leftover_uploads,
    row_counts,
    upload_of,
)

from podcast.errors import AudioError, StorageUnavailableError, TooLargeError, ValidationError
from podcast.extensions import db
from podcast.models import Episode
from podcast.services.episodes import Attachments, create_episode, delete_episode, update_episode
from podcast.services.uploads import CHUNK, Upload, ingest_audio
from podcast.storage import LocalStorage

MAX = 50 * 1024 * 1024


def _create(storage: Any, show: Any, audio: Path | Upload, **raw: Any) -> Episode:
    upload = audio if isinstance(audio, Upload) else upload_of(audio)
    return create_episode(
        db.session, storage, show, episode_input(show, **raw), Attachments(audio=upload),
        max_bytes=MAX,
    )  # fmt: skip


def test_upload_is_stored_hashed_and_measured(storage, show, upload_tmp: Path) -> None:
    episode = _create(storage, show, SAMPLE_MP3)
    data = SAMPLE_MP3.read_bytes()
    asset = episode.audio
    assert asset.key.startswith(f"episodes/{episode.guid}/audio-")
    assert asset.key.endswith(".mp3")
    assert asset.size_bytes == len(data)
    assert asset.sha256 == hashlib.sha256(data).hexdigest()
    assert asset.mime_type == "audio/mpeg"
    assert asset.duration_seconds and asset.duration_seconds > 0
    assert asset.original_filename == SAMPLE_MP3.name
    assert storage.local_path(asset.key).read_bytes() == data
    assert leftover_uploads(upload_tmp) == []


class _GuardedStream(io.RawIOBase):
    """A client's upload that refuses to be read whole, and remembers the largest read."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.largest = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError("the upload was read whole into memory")
        self.largest = max(self.largest, size)
        return self._inner.read(size)


def test_upload_is_streamed_in_chunks(storage, upload_tmp: Path) -> None:
    stream = _GuardedStream(SAMPLE_MP3.read_bytes())
    asset = ingest_audio(storage, Upload(stream, "a.mp3"), guid="g-1", max_bytes=MAX)
    assert asset.size_bytes == SAMPLE_MP3.stat().st_size
    assert 0 < stream.largest <= CHUNK
    assert leftover_uploads(upload_tmp) == []


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("vorbis.ogg", "Ogg Vorbis"),
        ("opus-32k.opus", "Opus"),
    ],
)
def test_formats_apple_cannot_play_are_refused(
    storage, show, upload_tmp: Path, name: str, says: str
) -> None:
    with pytest.raises(AudioError) as caught:
        _create(storage, show, FIXTURES / name)
    message = caught.value.fields["audio"]
    assert "MP3" in message and "AAC" in message
    assert says.split()[0].lower() in message.lower()
    assert row_counts() == (0, 0)
    assert list(storage.iter_keys()) == []
    assert leftover_uploads(upload_tmp) == []


def test_aac_is_accepted(storage, show, upload_tmp: Path) -> None:
    episode = _create(storage, show, FIXTURES / "aac-96k.m4a")
    assert episode.audio.mime_type == "audio/x-m4a"
    assert episode.audio.key.endswith(".m4a")
    assert leftover_uploads(upload_tmp) == []


@pytest.mark.parametrize("name", ["not-audio.mp3", "empty.mp3", "truncated-4k.mp3"])
def test_unusable_files_are_refused_with_a_sentence(
    storage, show, upload_tmp: Path, name: str
) -> None:
    with pytest.raises(AudioError) as caught:
        _create(storage, show, FIXTURES / name)
    assert caught.value.fields["audio"].endswith(".")
    assert row_counts() == (0, 0)
    assert list(storage.iter_keys()) == []
    assert leftover_uploads(upload_tmp) == []


def test_truncated_upload_says_truncated(storage, show, upload_tmp: Path) -> None:
    with pytest.raises(AudioError, match="(?i)truncated|incomplete|cut off"):
        _create(storage, show, FIXTURES / "truncated-4k.mp3")


def test_oversize_upload_is_refused_while_streaming(storage, show, upload_tmp: Path) -> None:
    size = SAMPLE_MP3.stat().st_size
    with pytest.raises(TooLargeError) as caught:
        create_episode(
            db.session, storage, show, episode_input(show),
            Attachments(audio=upload_of(SAMPLE_MP3)), max_bytes=size - 1,
        )  # fmt: skip
    assert caught.value.status == 413
    assert "MB limit" in caught.value.message
    assert row_counts() == (0, 0)
    assert list(storage.iter_keys()) == []
    assert leftover_uploads(upload_tmp) == []


def test_storage_failure_writes_no_row(show, tmp_path: Path, upload_tmp: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the media directory should be")
    broken = LocalStorage(blocked / "media")
    with pytest.raises(StorageUnavailableError) as caught:
        _create(broken, show, SAMPLE_MP3)
    assert caught.value.status == 503
    assert "Nothing was saved" in caught.value.message
    assert row_counts() == (0, 0)
    assert leftover_uploads(upload_tmp) == []


def test_failed_commit_deletes_the_stored_object(
    storage, show, upload_tmp: Path, refusing_database: str
) -> None:
    with pytest.raises(DBAPIError, match="refused by the test trigger"):
        _create(storage, show, SAMPLE_MP3, title=f"{DOOMED} episode")
    assert row_counts() == (0, 0)
    assert list(storage.iter_keys()) == []
    assert leftover_uploads(upload_tmp) == []


def test_invalid_fields_cost_no_upload(storage, show, upload_tmp: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        _create(storage, show, SAMPLE_MP3, status="scheduled")  # no publish_at
    assert "publish_at" in caught.value.fields
    assert list(storage.iter_keys()) == []
    assert leftover_uploads(upload_tmp) == []


def test_replace_audio_keeps_guid_and_deletes_old_object_after_commit(
    storage, show, upload_tmp: Path
) -> None:
    episode = _create(storage, show, SAMPLE_MP3)
    guid, old_key = episode.guid, episode.audio.key
    new_audio = FIXTURES / "cbr-128k-stereo.mp3"
    update_episode(
        db.session, storage, episode, episode_input(show, title=episode.title),
        Attachments(audio=upload_of(new_audio)), max_bytes=MAX,
    )  # fmt: skip
    db.session.expire_all()
    episode = db.session.get(Episode, episode.id)
    assert episode.guid == guid
    assert episode.audio.key != old_key
    assert episode.audio.key.startswith(f"episodes/{guid}/")
    assert episode.audio.size_bytes == new_audio.stat().st_size
    assert list(storage.iter_keys()) == [episode.audio.key]
    assert row_counts() == (1, 1)
    assert leftover_uploads(upload_tmp) == []


def test_replace_audio_whose_commit_fails_keeps_the_old_audio(
    storage, show, upload_tmp: Path, refusing_database: str
) -> None:
    episode = _create(storage, show, SAMPLE_MP3)
    episode_id, old_key = episode.id, episode.audio.key
    with pytest.raises(DBAPIError):
        update_episode(
            db.session, storage, episode, episode_input(show, title=f"{DOOMED} rename"),
            Attachments(audio=upload_of(FIXTURES / "cbr-128k-stereo.mp3")), max_bytes=MAX,
        )  # fmt: skip
    db.session.expire_all()
    episode = db.session.get(Episode, episode_id)
    assert episode.audio.key == old_key
    assert list(storage.iter_keys()) == [old_key]
    assert storage.local_path(old_key).read_bytes() == SAMPLE_MP3.read_bytes()
    assert leftover_uploads(upload_tmp) == []


def test_replace_audio_with_a_refused_file_changes_nothing(storage, show, upload_tmp: Path) -> None:
    episode = _create(storage, show, SAMPLE_MP3)
    old_key = episode.audio.key
    with pytest.raises(AudioError):
        update_episode(
            db.session, storage, episode, episode_input(show, title="Renamed"),
            Attachments(audio=upload_of(FIXTURES / "vorbis.ogg")), max_bytes=MAX,
        )  # fmt: skip
    db.session.expire_all()
    episode = db.session.get(Episode, episode.id)
    assert episode.title != "Renamed"
    assert episode.audio.key == old_key
    assert list(storage.iter_keys()) == [old_key]


def test_delete_episode_removes_its_objects(storage, show, upload_tmp: Path) -> None:
    kept = _create(storage, show, FIXTURES / "cbr-128k-stereo.mp3", title="Kept")
    gone = _create(storage, show, SAMPLE_MP3, title="Gone")
    removed = delete_episode(db.session, storage, gone)
    assert len(removed) == 1
    assert list(storage.iter_keys()) == [kept.audio.key]
    assert row_counts() == (1, 1)


def test_a_file_the_web_server_received_is_used_in_place_not_copied(tmp_path: Path) -> None:
    import hashlib

    from podcast.services.uploads import staged
    from podcast.views.uploads import ReceivedFile

    received = ReceivedFile()  # what werkzeug writes an uploaded part into
    data = SAMPLE_MP3.read_bytes()
    for start in range(0, len(data), 4096):
        received.write(data[start : start + 4096])
    received.seek(0)
    with staged(Upload(received, "episode.mp3"), MAX) as staged_file:
        assert staged_file.path == Path(received.name)
        assert staged_file.size == len(data)
        assert staged_file.sha256 == hashlib.sha256(data).hexdigest()
    received.close()  # as the request does at its end
    assert not Path(received.name).exists()


def test_a_received_file_dropped_without_close_is_removed() -> None:
    import gc

    from podcast.views.uploads import ReceivedFile

    received = ReceivedFile()
    received.write(b"half a body")
    name = received.name
    del received
    gc.collect()
    assert not Path(name).exists()


def test_a_file_being_staged_is_never_taken_for_a_leftover() -> None:
    # `podcast check --fix` on a live system must not remove uploads in flight.
    from podcast.services.maintenance import stale_temp_files
    from podcast.services.uploads import staged

    with staged(Upload(io.BytesIO(SAMPLE_MP3.read_bytes()), "a.mp3"), MAX) as staged_file:
        assert staged_file.path.exists()
        assert staged_file.path not in stale_temp_files(older_than=0)
