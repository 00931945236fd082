"""Uploads: stream to a temporary file, hash, inspect, store; returns an unsaved MediaAsset."""

from __future__ import annotations

import fcntl
import hashlib
import io
import logging
import os
import queue
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session

from podcast.audio import inspect as audio
from podcast.errors import TooLargeError, ValidationError
from podcast.models import MediaAsset
from podcast.services import images, transcripts
from podcast.storage import Storage, new_media_key

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024
TEMP_PREFIX = "podcast-upload-"
_HASH_QUEUE_CHUNKS = 8  # at most this many MiB wait for the hashing thread


@dataclass(frozen=True)
class Upload:
    """A file as it arrives: a readable stream and the name the uploader gave it."""

    stream: IO[bytes]
    filename: str = ""


class _BackgroundHash:
    """SHA-256 of the chunks handed to it, computed in a thread so that it overlaps the I/O.

    hashlib releases the GIL on large chunks: hashing then runs beside the staging write, the
    inspection and the upload to storage instead of adding its time to theirs (bench/upload.py).
    """

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=_HASH_QUEUE_CHUNKS)
        self._thread = threading.Thread(target=self._run, name="upload-sha256", daemon=True)
        self._thread.start()
        self._hex: str | None = None

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self._digest.update(chunk)

    def update(self, chunk: bytes) -> None:
        """Queue a chunk (blocks when the hashing thread is that far behind)."""
        self._chunks.put(chunk)

    def close(self) -> None:
        """Let the thread finish; safe to call more than once."""
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()

    def hexdigest(self) -> str:
        """Wait for the queued chunks and return the digest."""
        if self._hex is None:
            self.close()
            self._hex = self._digest.hexdigest()
        return self._hex


def open_staging_file() -> tuple[int, str]:
    """A new podcast-upload-* temp file (descriptor, path), locked while it is in use.

    The lock lives as long as the descriptor; the kernel drops it when the process dies, so
    `podcast check` tells a crashed worker's leftover from an upload in flight.
    """
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd, name


@runtime_checkable
class AlreadyStaged(Protocol):
    """A stream already written to a staging file (open_staging_file) and hashed on arrival,
    such as the web layer's uploaded file parts: the pipeline adopts the file as it is instead
    of copying it a second time."""

    name: str  # the staging file's path
    size: int

    def hexdigest(self) -> str:
        """SHA-256 of everything written."""
        ...

    def tell(self) -> int:
        """The read position (0: nothing read yet, so the whole file is the upload)."""
        ...

    def flush(self) -> None:
        """Write what is buffered to the file."""
        ...


class _Digest(Protocol):
    def hexdigest(self) -> str: ...


@dataclass(frozen=True)
class StagedFile:
    """An upload written to a temporary file, with its size and SHA-256."""

    path: Path
    size: int
    _hash: _Digest
    filename: str

    @property
    def sha256(self) -> str:
        """The file's SHA-256 (waits for the background hash to finish)."""
        return self._hash.hexdigest()


def safe_filename(name: str) -> str:
    """The uploader's file name without any directory part, kept only for display."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:255]


@contextmanager
def staged(upload: Upload, max_bytes: int) -> Iterator[StagedFile]:
    """Stream the upload to a temporary file (never whole in memory); removed on every path."""
    stream = upload.stream
    if isinstance(stream, AlreadyStaged) and stream.tell() == 0:
        # Already on disk and hashed by the web server: use it as it is.
        stream.flush()
        if stream.size > max_bytes:
            raise TooLargeError(
                f"The file is larger than the {max_bytes // (1024 * 1024)} MB limit."
            )
        yield StagedFile(Path(stream.name), stream.size, stream, safe_filename(upload.filename))
        return
    fd, name = open_staging_file()
    path = Path(name)
    digest = _BackgroundHash()
    try:
        size = 0
        # closefd=False: the descriptor, and with it the lock, lives until the file is removed.
        with os.fdopen(fd, "wb", closefd=False) as out:
            while chunk := upload.stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLargeError(
                        f"The file is larger than the {max_bytes // (1024 * 1024)} MB limit."
                    )
                digest.update(chunk)
                out.write(chunk)
        yield StagedFile(path, size, digest, safe_filename(upload.filename))
    finally:
        digest.close()
        path.unlink(missing_ok=True)
        os.close(fd)


def _put(storage: Storage, key: str, staged_file: StagedFile, content_type: str) -> None:
    with staged_file.path.open("rb") as handle:
        storage.put(key, handle, content_type=content_type, size=staged_file.size)


def ingest_audio(storage: Storage, upload: Upload, *, guid: str, max_bytes: int) -> MediaAsset:
    """Inspect an episode's audio and store it; refuses what podcast apps cannot play."""
    with staged(upload, max_bytes) as staged_file:
        try:
            info = audio.inspect(staged_file.path)
        except ValidationError as exc:
            exc.fields.setdefault("audio", exc.message)
            raise
        try:
            audio.require_episode_format(info)
        except ValidationError as exc:
            exc.fields.setdefault("audio", exc.message)
            raise
        key = new_media_key(guid, info.extension, "audio")
        _put(storage, key, staged_file, info.mime_type)
    return MediaAsset(
        key=key,
        kind="audio",
        episode_guid=guid,
        mime_type=info.mime_type,
        size_bytes=staged_file.size,
        sha256=staged_file.sha256,
        duration_seconds=info.duration_seconds,
        bitrate=info.bitrate,
        sample_rate=info.sample_rate,
        channels=info.channels,
        chapters=[{"start": c.start, "title": c.title} for c in info.chapters],
        warnings=list(info.warnings),
        original_filename=staged_file.filename,
    )


def ingest_image(
    storage: Storage,
    upload: Upload,
    *,
    owner: str,
    field: str,
    artwork: bool,
    max_bytes: int,
    collection: str = "episodes",
) -> MediaAsset:
    """Check an image (Apple's artwork rule, or the photo rule) and store it."""
    with staged(upload, min(max_bytes, 20 * 1024 * 1024)) as staged_file:
        info = images.inspect_image(staged_file.path, field)
        if artwork:
            images.check_artwork(info, field)
        else:
            images.check_photo(info, field)
        key = new_media_key(owner, info.extension, "photo" if not artwork else "image", collection)
        _put(storage, key, staged_file, info.mime_type)
    return MediaAsset(
        key=key,
        kind="image",
        episode_guid=owner if collection == "episodes" else None,
        mime_type=info.mime_type,
        size_bytes=staged_file.size,
        sha256=staged_file.sha256,
        width=info.width,
        height=info.height,
        original_filename=staged_file.filename,
    )


def ingest_transcript(storage: Storage, upload: Upload, *, guid: str) -> MediaAsset:
    """Parse an SRT or VTT transcript and store it as WebVTT."""
    data = upload.stream.read(10 * 1024 * 1024 + 1)
    if len(data) > 10 * 1024 * 1024:
        raise TooLargeError("A transcript may be at most 10 MB.")
    vtt = transcripts.to_vtt(transcripts.parse_transcript(data)).encode()
    with staged(Upload(io.BytesIO(vtt), upload.filename), len(vtt) + 1) as staged_file:
        key = new_media_key(guid, "vtt", "transcript")
        _put(storage, key, staged_file, "text/vtt")
    return MediaAsset(
        key=key,
        kind="transcript",
        episode_guid=guid,
        mime_type="text/vtt",
        size_bytes=staged_file.size,
        sha256=staged_file.sha256,
        original_filename=staged_file.filename,
    )


def delete_objects(storage: Storage, keys: list[str]) -> None:
    """Delete objects best-effort; a failure is logged and left to `podcast check --fix`."""
    for key in keys:
        try:
            storage.delete(key)
        except Exception:  # storage may be down; the orphan is found by `podcast check`
            log.warning("could not delete %s from storage; `podcast check --fix` will", key)


def swap_image(
    session: Session,
    storage: Storage | None,
    holder: Any,
    attribute: str,
    upload: Upload | None,
    new_keys: list[str],
    *,
    owner: str,
    artwork: bool,
    max_bytes: int,
    collection: str,
) -> MediaAsset | None:
    """Put the checked, stored `upload` (None: nothing) in holder.attribute; return the replaced
    row, deleted in the session, whose object the caller deletes once the commit succeeded."""
    asset = None
    if upload is not None:
        if storage is None:
            raise ValueError(f"storing a {attribute} needs the storage")
        asset = ingest_image(
            storage, upload, owner=owner, field=attribute, artwork=artwork,
            max_bytes=max_bytes, collection=collection,
        )  # fmt: skip
        new_keys.append(asset.key)
    replaced: MediaAsset | None = getattr(holder, attribute)
    setattr(holder, attribute, asset)
    if replaced is not None:
        session.delete(replaced)
    return replaced


@contextmanager
def removing_new_objects_on_failure(
    session: Session, storage: Storage | None
) -> Iterator[list[str]]:
    """Collect the keys an operation stores; if it fails, roll back and delete them (nothing
    half-made, no orphan object)."""
    new_keys: list[str] = []
    try:
        yield new_keys
    except BaseException:
        session.rollback()
        if storage is not None:
            delete_objects(storage, new_keys)
        raise
