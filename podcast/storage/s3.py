"""Media in any S3-compatible bucket, through boto3 (the only module that imports it)."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

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
from botocore.parsers import ResponseParserError

from podcast.errors import NotFoundError
from podcast.storage.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    IMMUTABLE_CACHE,
    MIB,
    ObjectInfo,
    _check_range,
    _join_url,
    _not_found,
    _unavailable,
    validate_key,
)
from podcast.storage.incoming import Incoming
from podcast.storage.s3_parts import S3Incoming, part_pool

_DENIED_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"}
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


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
        self._parts: ThreadPoolExecutor | None = None
        self.cache_control = IMMUTABLE_CACHE  # of the objects a received upload becomes
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
            # Other S3 implementations want path-style URLs. Checksums stay boto3's default (CRC):
            # forcing "when_required" made every upload 20 % slower (bench/upload.py). A store
            # that rejects them is served by boto3's own AWS_REQUEST_CHECKSUM_CALCULATION setting.
            options["s3"] = {"addressing_style": "path"}
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
        except (KeyError, ResponseParserError) as exc:
            # An answer without the fields every S3 reply has: the endpoint (or a proxy in front
            # of it, or a server shutting down) is not speaking S3.
            cause = "the storage endpoint did not answer as S3 does; check PODCAST_S3_ENDPOINT_URL"
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
                        raise _client_error_behind(exc) from None
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

    def receive(self) -> Incoming:
        """A staging file sent on as a multipart upload, part by part, once its key is known."""
        return S3Incoming(self)

    def _part_pool(self) -> ThreadPoolExecutor:
        """The threads that send received parts (created on first use, shared by uploads)."""
        if self._parts is None:
            with self._client_lock:
                if self._parts is None:
                    self._parts = part_pool()
        return self._parts

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
                return ObjectInfo(
                    key=key,
                    size=int(head["ContentLength"]),
                    etag=str(head.get("ETag", "")).strip('"'),
                    last_modified=head["LastModified"].astimezone(UTC),
                    content_type=head.get("ContentType") or DEFAULT_CONTENT_TYPE,
                )
        except NotFoundError:
            self.check()  # HeadObject answers a bare 404 for a missing bucket too.
            raise

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

    def _uploads(self, started_before: datetime | None) -> list[tuple[str, str]]:
        pages = self.client.get_paginator("list_multipart_uploads")
        prefix = f"{self.prefix}/" if self.prefix else ""
        with self._translated():
            return [
                (upload["Key"], upload["UploadId"])
                for page in pages.paginate(Bucket=self.bucket, Prefix=prefix)
                for upload in page.get("Uploads", [])
                if started_before is None or upload["Initiated"] <= started_before
            ]

    def incomplete_uploads(self, started_before: datetime | None = None) -> list[str]:
        """List the keys of multipart uploads that were started but never completed."""
        return [self._relative(full) for full, _ in self._uploads(started_before)]

    def abort_incomplete_uploads(self, started_before: datetime | None = None) -> int:
        """Abort the unfinished multipart uploads under the prefix; return how many."""
        uploads = self._uploads(started_before)
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


def _client_error_behind(exc: S3UploadFailedError) -> Exception:
    """The ClientError an S3UploadFailedError wraps, so it is translated like any other."""
    link: BaseException | None = exc
    while link is not None:
        if isinstance(link, ClientError):
            return link
        link = link.__cause__ or link.__context__
    # s3transfer sometimes raises it with the chain cut; its message still names the error code.
    match = re.search(r"An error occurred \((\w+)\) when calling the (\w+) operation", str(exc))
    if match:
        return ClientError({"Error": {"Code": match[1], "Message": str(exc)}}, match[2])
    return exc
