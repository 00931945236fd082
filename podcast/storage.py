"""Object storage for media: a Storage protocol with local-disk and S3 (boto3) backends."""

from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from podcast.errors import ConfigError, NotFoundError, StorageUnavailableError

IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
CHUNK_SIZE = 256 * 1024
MIB = 1024 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"

_KEY_RE = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")
# "~" can never appear in a valid key, so these helper files can never collide with media.
_TMP_SUFFIX = "~tmp"
_META_SUFFIX = "~meta"
_DENIED_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"}
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


def validate_key(key: str) -> str:
    """Return key unchanged if it is a safe relative object key, else raise ValueError."""
    if (
        not isinstance(key, str)
        or len(key.encode()) > 1024
        or ".." in key
        or not _KEY_RE.fullmatch(key)
        or any(part == "." for part in key.split("/"))
    ):
        raise ValueError(f"Invalid storage key: {key!r}")
    return key


def new_media_key(
    guid: str, extension: str, kind: str = "audio", collection: str = "episodes"
) -> str:
    """Return a fresh, never-reused key such as episodes/<guid>/audio-<token>.mp3."""
    ext = extension.lower().lstrip(".")
    token = secrets.token_urlsafe(9)
    return validate_key(f"{collection}/{guid}/{kind}-{token}.{ext}")


def _join_url(base: str | None, full_key: str) -> str | None:
    return None if base is None else f"{base.rstrip('/')}/{full_key}"


def _unavailable(cause: str, *, write: bool) -> StorageUnavailableError:
    tail = "Nothing was saved; try again" if write else "Try again"
    return StorageUnavailableError(
        f"Media storage is unavailable ({cause}). {tail} once storage is back."
    )


def _not_found(key: str) -> NotFoundError:
    return NotFoundError(f"The media file '{key}' does not exist.")


@contextlib.contextmanager
def _disk_errors() -> Iterator[None]:
    """Report a failed disk write as unavailable storage."""
    try:
        yield
    except OSError as exc:
        raise _unavailable("the media file could not be written to disk", write=True) from exc


def _check_range(start: int, end: int | None) -> None:
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"Invalid byte range {start}-{end}.")


@dataclass(frozen=True)
class ObjectInfo:
    """What storage knows about one stored object."""

    key: str
    size: int
    etag: str
    last_modified: datetime
    content_type: str


class Storage(Protocol):
    """The operations every media storage backend offers, with identical signatures."""

    def put(
        self,
        key: str,
        fileobj: BinaryIO,
        *,
        content_type: str,
        size: int | None = None,
        cache_control: str = IMMUTABLE_CACHE,
    ) -> ObjectInfo:
        """Stream fileobj from its current position under key; nothing is visible on failure."""

    def stat(self, key: str) -> ObjectInfo:
        """Describe the object at key; NotFoundError if it is missing."""

    def exists(self, key: str) -> bool:
        """Tell whether an object is stored at key."""

    def open_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield bytes start..end inclusive (end None: to the end) in chunks of at most 256 KiB."""

    def delete(self, key: str) -> None:
        """Remove the object at key; a missing key is not an error."""

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Yield the stored keys that start with prefix, in lexicographic order."""

    def incomplete_uploads(self) -> list[str]:
        """List the keys of uploads that were started but never completed."""

    def abort_incomplete_uploads(self) -> int:
        """Remove the incomplete uploads and return how many there were."""

    def public_url(self, key: str) -> str | None:
        """Return media_base_url/<full key> when a base URL is configured, else None."""

    def local_path(self, key: str) -> Path | None:
        """Return the file holding key when the backend is a local disk, else None."""

    def check(self) -> None:
        """Cheap health check; raise StorageUnavailableError when storage cannot be used."""


class LocalStorage:
    """Media stored as files under a root directory, written atomically."""

    def __init__(self, root: Path, *, media_base_url: str | None = None) -> None:
        """Remember the root; the directory is created on the first write."""
        self.root = Path(root)
        self.media_base_url = media_base_url

    def _path(self, key: str) -> Path:
        validate_key(key)
        root = self.root.resolve()
        path = (root / key).resolve()
        if not path.is_relative_to(root) or path == root:
            raise ValueError(f"Invalid storage key: {key!r}")
        return path

    @staticmethod
    def _meta_path(path: Path) -> Path:
        return path.with_name(f".{path.name}{_META_SUFFIX}")

    def put(
        self,
        key: str,
        fileobj: BinaryIO,
        *,
        content_type: str,
        size: int | None = None,
        cache_control: str = IMMUTABLE_CACHE,
    ) -> ObjectInfo:
        """Stream fileobj to a temp file, fsync it and atomically rename it into place."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{path.name}.", suffix=_TMP_SUFFIX, dir=path.parent
            )
        except OSError as exc:
            raise _unavailable("the media directory cannot be written", write=True) from exc
        written, done = 0, False
        try:
            with os.fdopen(fd, "wb") as out:
                # Only the writes are guarded: the uploader's read errors propagate as they are.
                while chunk := fileobj.read(CHUNK_SIZE):
                    with _disk_errors():
                        written += out.write(chunk)
                if size is not None and written != size:
                    raise ValueError(f"Expected {size} bytes for {key!r} but read {written}.")
                with _disk_errors():
                    out.flush()
                    os.fsync(out.fileno())
            with _disk_errors():
                meta = self._meta_path(path)
                tmp_meta = meta.with_name(meta.name + _TMP_SUFFIX)
                tmp_meta.write_text(json.dumps({"content_type": content_type}), encoding="utf-8")
                os.replace(tmp_meta, meta)
                os.replace(tmp_name, path)
            done = True
        finally:
            if not done:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
        self._fsync_dir(path.parent)
        return self._info(key, path)

    @staticmethod
    def _fsync_dir(directory: Path) -> None:
        # Makes the rename durable; not every platform lets a directory be opened.
        with contextlib.suppress(OSError):
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _info(self, key: str, path: Path) -> ObjectInfo:
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise _not_found(key) from exc
        except OSError as exc:
            raise _unavailable("the media directory cannot be read", write=False) from exc
        if not path.is_file():
            raise _not_found(key)
        try:
            meta = json.loads(self._meta_path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        content_type = meta.get("content_type") or mimetypes.guess_type(path.name)[0]
        modified = datetime.fromtimestamp(st.st_mtime_ns / 1e9, tz=UTC)
        etag = f"{st.st_mtime_ns:x}-{st.st_size:x}"
        return ObjectInfo(key, st.st_size, etag, modified, content_type or DEFAULT_CONTENT_TYPE)

    def stat(self, key: str) -> ObjectInfo:
        """Describe the file at key; NotFoundError if it is missing."""
        return self._info(key, self._path(key))

    def exists(self, key: str) -> bool:
        """Tell whether a file is stored at key."""
        return self._path(key).is_file()

    def open_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Open the file now (so a missing key raises at once) and yield the requested bytes."""
        _check_range(start, end)
        path = self._path(key)
        try:
            fh = path.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise _not_found(key) from exc
        except OSError as exc:
            raise _unavailable("the media file cannot be read", write=False) from exc
        return self._read_range(fh, start, end)

    @staticmethod
    def _read_range(fh: BinaryIO, start: int, end: int | None) -> Iterator[bytes]:
        with fh:
            fh.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                chunk = fh.read(CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining))
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def delete(self, key: str) -> None:
        """Remove the file at key and its metadata; a missing file is not an error."""
        path = self._path(key)
        for target in (path, self._meta_path(path)):
            try:
                target.unlink()
            except (FileNotFoundError, NotADirectoryError):
                pass
            except OSError as exc:
                raise _unavailable("the media file could not be deleted", write=False) from exc

    def _walk(self) -> Iterator[tuple[str, str]]:
        root = self.root.resolve()
        if not root.is_dir():
            return
        for dirpath, _dirs, files in os.walk(root):
            rel_dir = Path(dirpath).relative_to(root).as_posix()
            for name in files:
                yield name, name if rel_dir == "." else f"{rel_dir}/{name}"

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Yield the stored keys that start with prefix, in lexicographic order."""
        keys = [rel for name, rel in self._walk() if "~" not in name and rel.startswith(prefix)]
        yield from sorted(keys)

    def incomplete_uploads(self) -> list[str]:
        """List temp files left behind by interrupted writes (relative paths)."""
        return sorted(rel for name, rel in self._walk() if name.endswith(_TMP_SUFFIX))

    def abort_incomplete_uploads(self) -> int:
        """Delete the leftover temp files and return how many there were."""
        leftovers = self.incomplete_uploads()
        for rel in leftovers:
            with contextlib.suppress(FileNotFoundError):
                (self.root.resolve() / rel).unlink()
        return len(leftovers)

    def public_url(self, key: str) -> str | None:
        """Return media_base_url/<key> when a base URL is configured, else None."""
        return _join_url(self.media_base_url, validate_key(key))

    def local_path(self, key: str) -> Path | None:
        """Return the path of the file for key (it may not exist)."""
        return self._path(key)

    def check(self) -> None:
        """Make sure the root directory exists and is writable."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _unavailable("the media directory cannot be created", write=False) from exc
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise _unavailable("the media directory is not writable", write=False)


def _whole_named_file(fileobj: BinaryIO) -> str | None:
    """The path of fileobj when it is a regular file read from its start, else None."""
    name = getattr(fileobj, "name", None)
    try:
        if isinstance(name, str) and fileobj.tell() == 0 and os.path.isfile(name):
            return name
    except (OSError, ValueError, AttributeError):
        pass
    return None


class S3Storage:
    """Media stored in an S3-compatible bucket under an optional key prefix."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        media_base_url: str | None = None,
        region: str | None = None,
    ) -> None:
        """Remember the settings; the boto3 client is created on first use."""
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            validate_key(self.prefix)
        self.endpoint_url = endpoint_url
        self.media_base_url = media_base_url
        self.region = region
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._transfer_config = TransferConfig(
            multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB, max_concurrency=10
        )
        # s3transfer reads each part of an unnamed stream into memory, 10 parts ahead by default
        # (80 MiB); 4 keeps the worker's memory flat. Files on disk are sent by name instead.
        self._transfer_config.max_in_memory_upload_chunks = 4

    @property
    def client(self) -> Any:
        """The one boto3 S3 client of this storage (clients are thread-safe)."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        options: dict[str, Any] = {
            "connect_timeout": 3,
            "read_timeout": 30,
            "retries": {"max_attempts": 2, "mode": "standard"},
            "max_pool_connections": 20,
        }
        if self.endpoint_url:
            # Other S3 implementations want path-style URLs and reject the default CRC checksums.
            options["s3"] = {"addressing_style": "path"}
            options["request_checksum_calculation"] = "when_required"
            options["response_checksum_validation"] = "when_required"
        session = boto3.session.Session()
        region = self.region or session.region_name or "us-east-1"
        return session.client(
            "s3", endpoint_url=self.endpoint_url, region_name=region, config=Config(**options)
        )

    def _full(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _relative(self, full_key: str) -> str:
        return full_key[len(self.prefix) + 1 :] if self.prefix else full_key

    @contextlib.contextmanager
    def _translated(self, key: str | None = None, *, write: bool = False) -> Iterator[None]:
        """Turn botocore errors into ours; a 404 means key is missing, or the bucket if no key."""
        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if key is not None and code in _MISSING_CODES:
                raise _not_found(key) from exc
            if code == "InvalidRange":
                raise ValueError(f"The byte range is outside {key!r}.") from exc
            if code == "NoSuchBucket" or code in _MISSING_CODES:
                cause = f"the bucket '{self.bucket}' does not exist"
            elif code in _DENIED_CODES or status == 403:
                cause = f"access to the bucket '{self.bucket}' was denied; check the credentials"
            else:
                cause = f"the storage service refused the request: {code or status}"
            raise _unavailable(cause, write=write) from exc
        except BotoCoreError as exc:
            if isinstance(exc, NoCredentialsError):
                cause = "no storage credentials are configured"
            elif isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
                cause = "cannot connect to the storage service"
            elif isinstance(exc, ReadTimeoutError):
                cause = "the storage service did not answer in time"
            else:
                cause = "the connection to the storage service failed"
            raise _unavailable(cause, write=write) from exc

    def put(
        self,
        key: str,
        fileobj: BinaryIO,
        *,
        content_type: str,
        size: int | None = None,
        cache_control: str = IMMUTABLE_CACHE,
    ) -> ObjectInfo:
        """Upload fileobj (multipart above 8 MiB); a failed upload leaves no parts behind."""
        full = self._full(key)
        extra = {"ContentType": content_type, "CacheControl": cache_control}
        path = _whole_named_file(fileobj)
        try:
            with self._translated(write=True):
                if path is not None:
                    # By name, s3transfer streams each part from disk instead of reading it into
                    # memory first: a third of the memory and faster (bench/upload.py).
                    try:
                        self.client.upload_file(
                            path, self.bucket, full, ExtraArgs=extra, Config=self._transfer_config
                        )
                    except S3UploadFailedError as exc:  # it wraps the ClientError that says why
                        if isinstance(exc.__context__, ClientError):
                            raise exc.__context__ from None
                        raise
                else:
                    self.client.upload_fileobj(
                        fileobj, self.bucket, full, ExtraArgs=extra, Config=self._transfer_config
                    )
        except BaseException:
            self._abort_uploads_of(full)
            raise
        info = self.stat(key)
        if size is not None and info.size != size:
            self.delete(key)
            raise ValueError(f"Expected {size} bytes for {key!r} but stored {info.size}.")
        return info

    def _abort_uploads_of(self, full_key: str) -> None:
        # s3transfer aborts a failed multipart upload itself; this covers the abort failing.
        with contextlib.suppress(BotoCoreError, ClientError):
            found = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=full_key)
            for upload in found.get("Uploads", []):
                if upload["Key"] == full_key:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=full_key, UploadId=upload["UploadId"]
                    )

    def stat(self, key: str) -> ObjectInfo:
        """Describe the object at key with HeadObject; NotFoundError if it is missing."""
        try:
            with self._translated(key):
                head = self.client.head_object(Bucket=self.bucket, Key=self._full(key))
        except NotFoundError:
            self.check()  # HeadObject answers a bare 404 for a missing bucket too.
            raise
        return ObjectInfo(
            key=key,
            size=int(head["ContentLength"]),
            etag=str(head.get("ETag", "")).strip('"'),
            last_modified=head["LastModified"].astimezone(UTC),
            content_type=head.get("ContentType") or DEFAULT_CONTENT_TYPE,
        )

    def exists(self, key: str) -> bool:
        """Tell whether an object is stored at key."""
        try:
            self.stat(key)
        except NotFoundError:
            return False
        return True

    def open_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Send GetObject now (so errors raise at once) and yield the body in chunks."""
        _check_range(start, end)
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self._full(key)}
        if start or end is not None:
            args["Range"] = f"bytes={start}-{'' if end is None else end}"
        with self._translated(key):
            body = self.client.get_object(**args)["Body"]
        return self._stream(body)

    def _stream(self, body: Any) -> Iterator[bytes]:
        try:
            with self._translated():
                yield from body.iter_chunks(CHUNK_SIZE)
        finally:
            body.close()

    def delete(self, key: str) -> None:
        """Remove the object at key; a missing key is not an error."""
        with self._translated():
            self.client.delete_object(Bucket=self.bucket, Key=self._full(key))

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Yield the stored keys that start with prefix, page by page."""
        full_prefix = f"{self.prefix}/{prefix}" if self.prefix else prefix
        pages = self.client.get_paginator("list_objects_v2")
        with self._translated():
            for page in pages.paginate(Bucket=self.bucket, Prefix=full_prefix):
                for obj in page.get("Contents", []):
                    yield self._relative(obj["Key"])

    def _uploads(self) -> list[tuple[str, str]]:
        pages = self.client.get_paginator("list_multipart_uploads")
        prefix = f"{self.prefix}/" if self.prefix else ""
        with self._translated():
            return [
                (upload["Key"], upload["UploadId"])
                for page in pages.paginate(Bucket=self.bucket, Prefix=prefix)
                for upload in page.get("Uploads", [])
            ]

    def incomplete_uploads(self) -> list[str]:
        """List the keys of multipart uploads that were started but never completed."""
        return [self._relative(full) for full, _ in self._uploads()]

    def abort_incomplete_uploads(self) -> int:
        """Abort every unfinished multipart upload under the prefix; return how many."""
        uploads = self._uploads()
        with self._translated():
            for full, upload_id in uploads:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)
        return len(uploads)

    def public_url(self, key: str) -> str | None:
        """Return media_base_url/<prefix>/<key> when a base URL is configured, else None."""
        return _join_url(self.media_base_url, self._full(key))

    def local_path(self, key: str) -> Path | None:
        """S3 objects have no local file: always None."""
        return None

    def check(self) -> None:
        """Send HeadBucket; raise StorageUnavailableError if the bucket cannot be used."""
        with self._translated():
            self.client.head_bucket(Bucket=self.bucket)


def from_url(
    url: str, *, endpoint_url: str | None = None, media_base_url: str | None = None
) -> Storage:
    """Build the storage named by PODCAST_STORAGE_URL (file:///abs/path or s3://bucket/prefix)."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ConfigError("PODCAST_STORAGE_URL must not contain credentials; use AWS_* variables.")
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise ConfigError("PODCAST_STORAGE_URL must give an absolute path: file:///abs/path.")
        return LocalStorage(Path(path), media_base_url=media_base_url)
    if parts.scheme == "s3" and parts.netloc:
        try:
            return S3Storage(
                parts.netloc,
                unquote(parts.path),
                endpoint_url=endpoint_url,
                media_base_url=media_base_url,
            )
        except ValueError as exc:
            raise ConfigError("PODCAST_STORAGE_URL has an invalid key prefix.") from exc
    raise ConfigError(
        "PODCAST_STORAGE_URL must be file:///absolute/path or s3://bucket[/prefix]; "
        f"got a {parts.scheme or 'schemeless'} URL."
    )
