"""Storage backends against real parts: the local disk and moto's S3 server over HTTP."""

from __future__ import annotations

import hashlib
import http.server
import inspect
import io
import os
import re
import threading
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from support.s3 import MotoProcess, s3_client

from podcast.errors import ConfigError, NotFoundError, StorageUnavailableError
from podcast.storage import (
    IMMUTABLE_CACHE,
    LocalStorage,
    S3Storage,
    Storage,
    from_url,
    new_media_key,
)

MIB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """Each backend in turn: LocalStorage on tmp_path, S3Storage on moto under prefix "media"."""
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    return request.getfixturevalue("s3_storage")


class FailingReader(io.RawIOBase):
    """A readable stream that raises OSError once `fail_after` bytes have been read."""

    def __init__(self, data: bytes, fail_after: int):
        self._data = io.BytesIO(data)
        self._fail_after = fail_after

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._data.tell() >= self._fail_after:
            raise OSError("the uploader went away")
        return self._data.read(size)


class StreamOnly(io.RawIOBase):
    """A non-seekable stream, like a request body."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


def read_all(storage: Storage, key: str, start: int = 0, end: int | None = None) -> bytes:
    chunks = list(storage.open_range(key, start, end))
    assert all(len(chunk) <= 256 * 1024 for chunk in chunks)
    return b"".join(chunks)


def test_put_and_stat_round_trip(storage: Storage) -> None:
    data = b"ID3" + bytes(range(256)) * 40
    info = storage.put("episodes/g1/audio-a.mp3", io.BytesIO(data), content_type="audio/mpeg")
    again = storage.stat("episodes/g1/audio-a.mp3")
    assert info == again
    assert info.key == "episodes/g1/audio-a.mp3"
    assert info.size == len(data)
    assert info.content_type == "audio/mpeg"
    assert info.etag and '"' not in info.etag
    assert info.last_modified.tzinfo is not None
    assert info.last_modified.utcoffset() == UTC.utcoffset(None)
    assert storage.exists("episodes/g1/audio-a.mp3")
    other = storage.put("episodes/g1/audio-b.mp3", io.BytesIO(data[:-1]), content_type="audio/mpeg")
    assert other.etag != info.etag


def test_put_streams_from_the_current_position(storage: Storage) -> None:
    fileobj = io.BytesIO(b"HEADERpayload")
    fileobj.seek(6)
    info = storage.put("a/b.bin", fileobj, content_type="application/octet-stream", size=7)
    assert info.size == 7
    assert read_all(storage, "a/b.bin") == b"payload"


def test_size_mismatch_keeps_nothing(storage: Storage) -> None:
    with pytest.raises(ValueError):
        storage.put("a/short.bin", io.BytesIO(b"12345"), content_type="x/y", size=6)
    assert not storage.exists("a/short.bin")
    assert list(storage.iter_keys()) == []


def test_empty_object(storage: Storage) -> None:
    assert storage.put("empty.bin", io.BytesIO(b""), content_type="x/y").size == 0
    assert read_all(storage, "empty.bin") == b""


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, 1), (1000, 299_999), (599_999, 599_999), (599_999, None), (0, None), (0, 599_999)],
    ids=["first-two", "middle", "last-byte", "last-open", "whole-open", "whole"],
)
def test_open_range(storage: Storage, start: int, end: int | None) -> None:
    data = os.urandom(600_000)
    storage.put("r.bin", io.BytesIO(data), content_type="application/octet-stream")
    expected = data[start : None if end is None else end + 1]
    assert read_all(storage, "r.bin", start, end) == expected


def test_missing_key(storage: Storage) -> None:
    assert not storage.exists("nope/x.mp3")
    with pytest.raises(NotFoundError):
        storage.stat("nope/x.mp3")
    with pytest.raises(NotFoundError):
        storage.open_range("nope/x.mp3")  # raises before the first chunk is asked for


def test_delete(storage: Storage) -> None:
    storage.delete("never/stored.mp3")
    storage.put("d/x.mp3", io.BytesIO(b"abc"), content_type="audio/mpeg")
    storage.delete("d/x.mp3")
    assert not storage.exists("d/x.mp3")
    assert list(storage.iter_keys()) == []


def test_iter_keys_with_prefix(storage: Storage) -> None:
    keys = ["episodes/a/audio-1.mp3", "episodes/a/image-2.jpg", "episodes/b/audio-3.mp3", "z.txt"]
    for key in reversed(keys):
        storage.put(key, io.BytesIO(key.encode()), content_type="text/plain")
    assert list(storage.iter_keys()) == keys
    assert list(storage.iter_keys("episodes/a/")) == keys[:2]
    assert list(storage.iter_keys("episodes/")) == keys[:3]
    assert list(storage.iter_keys("nothing/")) == []


def test_s3_prefix_is_applied_but_never_returned(s3_storage: S3Storage, s3_endpoint: str) -> None:
    s3_storage.put("episodes/a/x.mp3", io.BytesIO(b"x"), content_type="audio/mpeg")
    raw = s3_client(s3_endpoint).list_objects_v2(Bucket=s3_storage.bucket)
    assert [obj["Key"] for obj in raw["Contents"]] == ["media/episodes/a/x.mp3"]
    assert list(s3_storage.iter_keys()) == ["episodes/a/x.mp3"]
    head = s3_client(s3_endpoint).head_object(
        Bucket=s3_storage.bucket, Key="media/episodes/a/x.mp3"
    )
    assert head["CacheControl"] == IMMUTABLE_CACHE
    assert head["ContentType"] == "audio/mpeg"


def test_s3_storage_keeps_one_client(s3_storage: S3Storage) -> None:
    assert s3_storage.client is s3_storage.client


def test_public_url(tmp_path: Path) -> None:
    assert LocalStorage(tmp_path).public_url("episodes/a/x.mp3") is None
    cdn = LocalStorage(tmp_path, media_base_url="https://cdn.example/")
    assert cdn.public_url("episodes/a/x.mp3") == "https://cdn.example/episodes/a/x.mp3"
    s3 = S3Storage("bucket", "/media/", media_base_url="https://cdn.example/m")
    assert s3.public_url("episodes/a/x.mp3") == "https://cdn.example/m/media/episodes/a/x.mp3"
    assert S3Storage("bucket", "media").public_url("x.mp3") is None
    assert S3Storage("bucket").local_path("x.mp3") is None
    assert LocalStorage(tmp_path).local_path("a/x.mp3") == tmp_path.resolve() / "a/x.mp3"


BAD_KEYS = ["../x", "a/../b", "a/..", "..", "/abs", "a\\b", "a\x00b", "a//b", "", "a b", "./a", "é"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_rejected(storage: Storage, key: str) -> None:
    with pytest.raises(ValueError):
        storage.put(key, io.BytesIO(b"x"), content_type="x/y")
    with pytest.raises(ValueError):
        storage.stat(key)
    with pytest.raises(ValueError):
        storage.public_url(key)


def test_local_symlink_cannot_escape_root(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    (root / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(ValueError):
        LocalStorage(root).put("link/evil.txt", io.BytesIO(b"x"), content_type="text/plain")
    assert list((tmp_path / "outside").iterdir()) == []


def test_new_media_key() -> None:
    key = new_media_key("1f0c-guid", ".MP3")
    assert re.fullmatch(r"episodes/1f0c-guid/audio-[A-Za-z0-9_-]{12}\.mp3", key)
    assert new_media_key("g", "jpg", kind="image").startswith("episodes/g/image-")
    assert len({new_media_key("g", "mp3") for _ in range(100)}) == 100


@pytest.mark.parametrize("seekable", [True, False], ids=["file", "stream"])
def test_large_multipart_round_trip(storage: Storage, tmp_path: Path, seekable: bool) -> None:
    data = os.urandom(20 * MIB + 12345)
    source = tmp_path / "big.mp3"
    source.write_bytes(data)
    with source.open("rb") as fh:
        fileobj: Any = fh if seekable else StreamOnly(fh.read())
        info = storage.put("episodes/big/audio.mp3", fileobj, content_type="audio/mpeg")
    assert info.size == len(data)
    got = hashlib.sha256()
    for chunk in storage.open_range("episodes/big/audio.mp3"):
        got.update(chunk)
    assert got.hexdigest() == hashlib.sha256(data).hexdigest()
    if isinstance(storage, S3Storage):
        assert info.etag.endswith("-3")  # three 8 MiB parts: it really was a multipart upload
    assert storage.incomplete_uploads() == []


def test_reader_failing_midway_leaves_nothing(storage: Storage, tmp_path: Path) -> None:
    reader = FailingReader(os.urandom(20 * MIB), fail_after=12 * MIB)
    with pytest.raises(OSError, match="uploader went away"):
        storage.put("episodes/x/audio.mp3", reader, content_type="audio/mpeg")
    assert not storage.exists("episodes/x/audio.mp3")
    assert storage.incomplete_uploads() == []
    assert list(storage.iter_keys()) == []
    if isinstance(storage, LocalStorage):
        assert list((tmp_path / "media" / "episodes" / "x").iterdir()) == []


def test_incomplete_uploads_are_listed_and_aborted(s3_storage: S3Storage, s3_endpoint: str) -> None:
    raw = s3_client(s3_endpoint)
    raw.create_multipart_upload(Bucket=s3_storage.bucket, Key="media/episodes/x/a.mp3")
    raw.create_multipart_upload(Bucket=s3_storage.bucket, Key="elsewhere/b.mp3")
    assert s3_storage.incomplete_uploads() == ["episodes/x/a.mp3"]
    assert s3_storage.abort_incomplete_uploads() == 1
    assert s3_storage.incomplete_uploads() == []
    left = raw.list_multipart_uploads(Bucket=s3_storage.bucket)["Uploads"]
    assert [upload["Key"] for upload in left] == ["elsewhere/b.mp3"]


def test_local_leftover_temp_files_are_incomplete_uploads(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put("a/x.mp3", io.BytesIO(b"x"), content_type="audio/mpeg")
    (tmp_path / "a" / ".y.mp3.abc~tmp").write_bytes(b"half")
    assert storage.incomplete_uploads() == ["a/.y.mp3.abc~tmp"]
    assert list(storage.iter_keys()) == ["a/x.mp3"]
    assert storage.abort_incomplete_uploads() == 1
    assert storage.incomplete_uploads() == []
    assert storage.exists("a/x.mp3")


def test_local_storage_does_no_io_until_written(tmp_path: Path) -> None:
    storage = from_url(f"file://{tmp_path}/not/yet")
    assert isinstance(storage, LocalStorage)
    assert not (tmp_path / "not").exists()
    assert list(storage.iter_keys()) == []
    storage.check()
    assert (tmp_path / "not" / "yet").is_dir()


def test_from_url() -> None:
    s3 = from_url(
        "s3://my-bucket/some/prefix/", endpoint_url="http://x", media_base_url="https://c"
    )
    assert isinstance(s3, S3Storage)
    assert (s3.bucket, s3.prefix, s3.endpoint_url) == ("my-bucket", "some/prefix", "http://x")
    assert s3.public_url("k.mp3") == "https://c/some/prefix/k.mp3"
    plain = from_url("s3://my-bucket")
    assert isinstance(plain, S3Storage) and plain.prefix == ""


@pytest.mark.parametrize(
    "url", ["ftp://x/y", "file://relative/path", "s3://", "media", "s3://k:secret@b/p"]
)
def test_from_url_rejects_bad_urls(url: str) -> None:
    with pytest.raises(ConfigError, match="PODCAST_STORAGE_URL") as caught:
        from_url(url)
    assert "secret" not in str(caught.value)


# Faults, done for real.


def test_dropped_bucket(s3_storage: S3Storage, s3_endpoint: str) -> None:
    s3_storage.put("a.mp3", io.BytesIO(b"x"), content_type="audio/mpeg")
    raw = s3_client(s3_endpoint)
    raw.delete_object(Bucket=s3_storage.bucket, Key="media/a.mp3")
    raw.delete_bucket(Bucket=s3_storage.bucket)
    for action in (
        lambda: s3_storage.put("b.mp3", io.BytesIO(b"x"), content_type="audio/mpeg"),
        lambda: s3_storage.stat("a.mp3"),
        lambda: s3_storage.open_range("a.mp3"),
        lambda: list(s3_storage.iter_keys()),
        s3_storage.check,
    ):
        with pytest.raises(StorageUnavailableError, match="bucket") as caught:
            action()
        assert f"'{s3_storage.bucket}' does not exist" in caught.value.message


def test_put_message_says_nothing_was_saved(s3_endpoint: str) -> None:
    storage = S3Storage("no-such-bucket-here", endpoint_url=s3_endpoint)
    with pytest.raises(StorageUnavailableError) as caught:
        storage.put("a.mp3", io.BytesIO(b"x"), content_type="audio/mpeg")
    assert caught.value.message == (
        "Media storage is unavailable (the bucket 'no-such-bucket-here' does not exist). "
        "Nothing was saved; try again once storage is back."
    )


def test_wrong_credentials(
    moto_server_factory: Callable[..., MotoProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = moto_server_factory(authenticated=True)
    s3_client(server.endpoint).create_bucket(Bucket="locked")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value")
    storage = S3Storage("locked", endpoint_url=server.endpoint)
    for action in (
        storage.check,
        lambda: storage.put("a.mp3", io.BytesIO(b"x"), content_type="audio/mpeg"),
        lambda: storage.open_range("a.mp3"),
    ):
        with pytest.raises(StorageUnavailableError, match="denied") as caught:
            action()
        assert "wrong-secret-value" not in caught.value.message
        assert "AKIAWRONG" not in caught.value.message


def test_stopped_server(moto_server_factory: Callable[..., MotoProcess]) -> None:
    server = moto_server_factory()
    s3_client(server.endpoint).create_bucket(Bucket="gone")
    storage = S3Storage("gone", endpoint_url=server.endpoint)
    storage.put("a.mp3", io.BytesIO(b"x"), content_type="audio/mpeg")  # warm the connection pool
    server.stop()
    # "cannot connect" means a refused connection, not a 30 s read timeout.
    for action in (
        storage.check,
        lambda: storage.stat("a.mp3"),
        lambda: storage.open_range("a.mp3"),
        lambda: storage.put("b.mp3", io.BytesIO(b"x"), content_type="audio/mpeg"),
    ):
        with pytest.raises(StorageUnavailableError, match="cannot connect"):
            action()


def test_server_stopped_during_multipart_upload(
    moto_server_factory: Callable[..., MotoProcess],
) -> None:
    server = moto_server_factory()
    s3_client(server.endpoint).create_bucket(Bucket="halfway")
    storage = S3Storage("halfway", "media", endpoint_url=server.endpoint)
    stopper = _StopAfter(io.BytesIO(os.urandom(24 * MIB)), 12 * MIB, server.stop)
    with pytest.raises(StorageUnavailableError, match="Nothing was saved"):
        storage.put("episodes/x/audio.mp3", stopper, content_type="audio/mpeg")
    assert stopper.stopped


class _StopAfter(io.RawIOBase):
    """Pass reads through, stopping the server once `after` bytes have gone by."""

    def __init__(self, inner: io.BytesIO, after: int, stop: Callable[[], None]):
        self._inner, self._after, self._stop = inner, after, stop
        self._read, self.stopped = 0, False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._read >= self._after and not self.stopped:
            self._stop()
            self.stopped = True
        chunk = self._inner.read(size)
        self._read += len(chunk)
        return chunk


def test_unreachable_endpoint_fails_fast_with_a_clear_message() -> None:
    from support.s3 import free_port

    storage = S3Storage("b", endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StorageUnavailableError, match="cannot connect to the storage service"):
        storage.check()


def test_backends_share_the_protocol_signatures() -> None:
    public = [name for name in vars(Storage) if not name.startswith("_")]
    assert len(public) == 12  # receive() joined put() with the upload pipeline
    for name in public:
        expected = inspect.signature(getattr(Storage, name))
        assert inspect.signature(getattr(LocalStorage, name)) == expected, name
        assert inspect.signature(getattr(S3Storage, name)) == expected, name


def test_s3_uploads_in_flight_are_left_alone(s3_storage: S3Storage, s3_endpoint: str) -> None:
    # `podcast check --fix` passes a cutoff: only uploads started before it are abandoned.
    from datetime import UTC, datetime, timedelta

    raw = s3_client(s3_endpoint)
    raw.create_multipart_upload(Bucket=s3_storage.bucket, Key="media/episodes/x/live.mp3")
    started = raw.list_multipart_uploads(Bucket=s3_storage.bucket)["Uploads"][0]["Initiated"]
    if started.year < 2020:
        pytest.skip("moto reports every multipart upload as started in 2010; needs a real S3")
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    assert s3_storage.incomplete_uploads(started_before=an_hour_ago) == []
    assert s3_storage.abort_incomplete_uploads(started_before=an_hour_ago) == 0
    assert s3_storage.incomplete_uploads() == ["episodes/x/live.mp3"]


def test_local_uploads_in_flight_are_left_alone(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    local = LocalStorage(tmp_path / "media")
    leftover = tmp_path / "media" / "episodes" / "x" / ".a.mp3.1234~tmp"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"partial")
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    assert local.incomplete_uploads(started_before=an_hour_ago) == []
    assert local.abort_incomplete_uploads(started_before=an_hour_ago) == 0
    assert leftover.exists()
    assert (
        local.abort_incomplete_uploads(started_before=datetime.now(UTC) + timedelta(seconds=1)) == 1
    )
    assert not leftover.exists()


def test_an_upload_failure_whose_chain_was_cut_still_says_why() -> None:
    """s3transfer can raise S3UploadFailedError without its ClientError; the code is kept."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import ClientError

    from podcast.storage.s3 import _client_error_behind

    cut = S3UploadFailedError(
        "Failed to upload /tmp/x to b/k: An error occurred (InvalidAccessKeyId) when calling "
        "the PutObject operation: The AWS Access Key Id you provided does not exist."
    )
    found = _client_error_behind(cut)
    assert isinstance(found, ClientError)
    assert found.response["Error"]["Code"] == "InvalidAccessKeyId"


class _NotS3(http.server.BaseHTTPRequestHandler):
    """A web server that answers every request 200 with an HTML page, as a wrong endpoint does."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b"<html><body>Welcome to nginx!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize("size", [1000, 10 * MIB], ids=["single", "multipart"])
def test_an_endpoint_that_is_not_s3_is_named_in_the_error(size: int) -> None:
    """A 200 without S3's fields (wrong endpoint, a proxy, a server shutting down) is no 500."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotS3)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        storage = S3Storage("b", endpoint_url=f"http://127.0.0.1:{server.server_port}")
        with pytest.raises(StorageUnavailableError, match="did not answer as S3 does"):
            storage.put(
                "episodes/x/audio.mp3", io.BytesIO(os.urandom(size)), content_type="audio/mpeg"
            )
    finally:
        server.shutdown()
        server.server_close()
