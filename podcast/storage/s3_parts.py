"""An upload sent to S3 while it arrives: a multipart upload whose parts go out as they fill.

Each part is read back from the staging file by position (the page cache has it), so a part in
flight costs no copy in memory; a small thread pool sends them, so receiving never waits.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from podcast.storage.base import ObjectInfo
from podcast.storage.incoming import PART_SIZE, StagingFile

if TYPE_CHECKING:
    from podcast.storage.s3 import S3Storage

PART_THREADS = 6  # per storage; parts of every upload in this process share them


class _FileSlice(io.RawIOBase):
    """Bytes offset..offset+length of a file, readable and seekable from 0 (botocore rewinds a
    body to sign it, to checksum it and to retry it)."""

    def __init__(self, fd: int, offset: int, length: int) -> None:
        super().__init__()
        self._fd, self._offset, self._length = fd, offset, length
        self._pos = 0

    def readable(self) -> bool:
        """Always."""
        return True

    def seekable(self) -> bool:
        """Always."""
        return True

    def __len__(self) -> int:
        return self._length

    def tell(self) -> int:
        """The position within the slice."""
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move within the slice."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = max(0, min(self._length, base + offset))
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        """Up to size bytes from the position (all that is left when size is negative)."""
        left = self._length - self._pos
        size = left if size is None or size < 0 else min(size, left)
        if size <= 0:
            return b""
        data = os.pread(self._fd, size, self._offset + self._pos)
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        """Read into a buffer (io's default read path)."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class S3Incoming:
    """The staging file of an upload, sent on as a multipart upload once `begin` names the key."""

    def __init__(self, storage: S3Storage) -> None:
        self._storage = storage
        self.staging = StagingFile()
        self._lock = threading.Lock()
        self._key: str | None = None  # the key begun, relative
        self._content_type = ""
        self._upload_id: str | None = None
        self._parts: list[Future[dict[str, Any]]] = []
        self._sent = 0  # bytes handed to parts
        self._error: BaseException | None = None

    def write(self, data: bytes) -> None:
        """Append to the staging file and send every part that is now full."""
        self.staging.append(data)
        if self._upload_id is not None:
            self._send_full_parts()

    def begin(self, key: str, content_type: str) -> None:
        """Start the multipart upload; a failure is kept for commit to raise."""
        if self._key is not None:
            return
        self._key, self._content_type = key, content_type
        storage = self._storage
        try:
            with storage._translated(write=True):
                answer = storage.client.create_multipart_upload(
                    Bucket=storage.bucket,
                    Key=storage._full(key),
                    ContentType=content_type,
                    CacheControl=storage.cache_control,
                    # As s3transfer does: each part carries its CRC32 (botocore computes it),
                    # and the object's checksum is made of theirs. Without it, S3 (and moto)
                    # computes a CRC64 of the whole object at completion: twice as slow here.
                    ChecksumAlgorithm="CRC32",
                )
            self._upload_id = str(answer["UploadId"])
        except Exception as exc:  # kept: the request body must still be read to its end
            self._error = exc
            return
        self._send_full_parts()

    def finish(self) -> None:
        """Send the last part now: it travels while the caller inspects the file."""
        if self._upload_id is not None and self._error is None:
            self._send_full_parts()
            if self.staging.size > self._sent:
                self._submit(self._sent, self.staging.size - self._sent)

    def _send_full_parts(self) -> None:
        while self._error is None and self.staging.size - self._sent >= PART_SIZE:
            self._submit(self._sent, PART_SIZE)

    def _submit(self, offset: int, length: int) -> None:
        number = len(self._parts) + 1
        self._sent += length
        self._parts.append(self._storage._part_pool().submit(self._send, number, offset, length))

    def _send(self, number: int, offset: int, length: int) -> dict[str, Any]:
        if self._error is not None:  # an earlier part failed: the upload is lost anyway
            return {}
        storage = self._storage
        try:
            with storage._translated(write=True):
                answer = storage.client.upload_part(
                    Bucket=storage.bucket,
                    Key=storage._full(self._key or ""),
                    UploadId=self._upload_id,
                    PartNumber=number,
                    Body=_FileSlice(self.staging.fd, offset, length),
                    ChecksumAlgorithm="CRC32",
                )
        except Exception as exc:
            with self._lock:
                self._error = self._error or exc
            return {}
        part = {"PartNumber": number, "ETag": answer["ETag"]}
        if answer.get("ChecksumCRC32"):
            part["ChecksumCRC32"] = answer["ChecksumCRC32"]
        return part

    def commit(self, key: str, content_type: str) -> ObjectInfo:
        """Send the last part and complete the upload begun under key (or, for another key or
        type, abandon it and put the staging file); on failure nothing is left behind."""
        if self._key is not None and (key, content_type) == (self._key, self._content_type):
            return self._complete(key)
        self.abandon()
        with self.staging.path.open("rb") as handle:
            return self._storage.put(key, handle, content_type=content_type, size=self.staging.size)

    def _complete(self, key: str) -> ObjectInfo:
        storage = self._storage
        try:
            if self._upload_id is None:  # begin itself failed
                raise self._error or RuntimeError("the multipart upload was never started")
            if self.staging.size > self._sent or not self._parts:
                self._submit(self._sent, self.staging.size - self._sent)
            parts = [part.result() for part in self._parts]
            if self._error is not None:
                raise self._error
            with storage._translated(write=True):
                storage.client.complete_multipart_upload(
                    Bucket=storage.bucket,
                    Key=storage._full(key),
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            self.abandon()
            raise
        # Completed: nothing to abort any more; a second commit (its object deleted since)
        # puts the staging file again.
        self._upload_id = self._key = None
        self._parts, self._sent = [], 0
        try:
            info = storage.stat(key)
            if info.size != self.staging.size:
                raise ValueError(
                    f"Expected {self.staging.size} bytes for {key!r}, got {info.size}."
                )
        except BaseException:
            with contextlib.suppress(Exception):
                storage.delete(key)
            raise
        return info

    def abandon(self) -> None:
        """Stop sending, wait for the parts in flight, abort the multipart upload."""
        with self._lock:
            self._error = self._error or _Abandoned()
        for part in self._parts:
            part.cancel()
        for part in self._parts:
            with contextlib.suppress(BaseException):
                part.result()
        upload_id, self._upload_id = self._upload_id, None
        key, self._key = self._key, None
        self._parts, self._sent, self._error = [], 0, None
        if upload_id is None or key is None:
            return
        storage = self._storage
        try:
            with storage._translated(write=True):
                storage.client.abort_multipart_upload(
                    Bucket=storage.bucket, Key=storage._full(key), UploadId=upload_id
                )
        except Exception:  # storage down: `podcast check --fix` aborts it later
            storage._abort_uploads_of(storage._full(key))

    def discard(self) -> None:
        """Abandon the upload and remove the staging file."""
        try:
            self.abandon()
        finally:
            self.staging.remove()


class _Abandoned(Exception):
    """Marks an upload as abandoned, so parts still queued are not sent."""


def part_pool() -> ThreadPoolExecutor:
    """A new pool for one storage's part uploads."""
    return ThreadPoolExecutor(max_workers=PART_THREADS, thread_name_prefix="s3-part")
