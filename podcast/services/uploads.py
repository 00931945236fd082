"""Uploads: received into a staging file (hashed, and sent on to storage as the bytes arrive),
inspected, stored; returns an unsaved MediaAsset."""

from __future__ import annotations

import hashlib
import io
import logging
import queue
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from podcast.audio import inspect as audio
from podcast.audio.sniff import sniff
from podcast.errors import AudioError, TooLargeError, ValidationError
from podcast.models import MediaAsset
from podcast.services import images, processing, transcripts
from podcast.storage import Storage, new_media_key
from podcast.storage.incoming import (
    PART_SIZE,
    TEMP_PREFIX,
    Incoming,
    StagingFile,
    open_staging_file,
)
from podcast.wording import records, say

__all__ = ["TEMP_PREFIX", "Receiver", "Upload", "open_staging_file", "staged"]

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024
HEAD_BYTES = 4096  # what the format guess reads (the first bytes arrive first)
_HASH_QUEUE_CHUNKS = 32  # at most this many chunks (256 KiB from Werkzeug) wait to be hashed


@dataclass(frozen=True)
class Upload:
    """A file as it arrives: a readable stream and the name the uploader gave it."""

    stream: IO[bytes]
    filename: str = ""


@dataclass(frozen=True)
class PlannedKey:
    """The key a received upload is already being stored under, chosen from its first bytes."""

    guid: str
    key: str
    extension: str
    mime_type: str


class _BackgroundHash:
    """SHA-256 of the chunks handed to it, computed in a thread: hashlib releases the GIL, so
    hashing runs beside receiving, staging and sending parts instead of adding to them."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=_HASH_QUEUE_CHUNKS)
        self._thread: threading.Thread | None = None
        self._hex: str | None = None

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self._digest.update(chunk)

    def update(self, chunk: bytes) -> None:
        """Queue a chunk (blocks when the hashing thread is that far behind)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="upload-sha256", daemon=True)
            self._thread.start()
        self._chunks.put(chunk)

    def close(self) -> None:
        """Let the thread finish; safe to call more than once."""
        if self._thread is not None and self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()

    def hexdigest(self) -> str:
        """Wait for the queued chunks and return the digest."""
        if self._hex is None:
            self.close()
            self._hex = self._digest.hexdigest()
        return self._hex


def _discard(incoming: Incoming | None, staging: StagingFile, digest: _BackgroundHash) -> None:
    # Removes first, then closes (which drops the lock): `podcast check` never sees it unlocked.
    digest.close()
    try:
        if incoming is not None:
            incoming.discard()
    finally:
        staging.remove()


class Receiver:
    """An upload as it arrives: hashed, written once to the staging file the inspection reads
    and, when it looks like episode audio, already on its way into storage (S3: a multipart
    upload, part by part) under a key planned from its first bytes, with the guid `guid_for`
    gives. Until the pipeline stores it (`store`), closing it aborts all that.

    Werkzeug writes a file part into one (podcast.views.uploads), seeks to 0 and hands it to
    the view; the request closes it at its end. A storage failure while receiving never
    interrupts the body: it is raised by `store`, where the pipeline reports storage errors.
    """

    def __init__(
        self, storage: Storage | None = None, guid_for: Callable[[], str] | None = None
    ) -> None:
        self._storage = storage
        self._incoming = storage.receive() if storage is not None else None
        self._staging = self._incoming.staging if self._incoming is not None else StagingFile()
        self._guid_for = guid_for
        self._decided = guid_for is None or storage is None
        self._head = b""
        self._finished = False
        self._digest = _BackgroundHash()
        self.name = str(self._staging.path)
        self.planned: PlannedKey | None = None
        # A half-written part Werkzeug drops without closing (a body cut short) goes with it.
        self._cleanup = weakref.finalize(
            self, _discard, self._incoming, self._staging, self._digest
        )

    @property
    def size(self) -> int:
        """Bytes received so far."""
        return self._staging.size

    def write(self, data: bytes) -> int:
        """Append received bytes: hash, stage, and send on whatever part they fill."""
        self._digest.update(data)
        if len(self._head) < HEAD_BYTES:
            self._head += data[: HEAD_BYTES - len(self._head)]
        if self._incoming is not None:
            self._incoming.write(data)
        else:
            self._staging.append(data)
        if not self._decided and self._staging.size >= PART_SIZE:
            self._begin()
        return len(data)

    def _begin(self) -> None:
        """Start storing under a key planned from the first bytes; smaller files (images, a
        transcript, short audio) are simply put once inspected."""
        self._decided = True
        guess = audio.likely_episode_format(self._head)
        if guess is None or self._incoming is None or self._guid_for is None:
            return
        extension, mime_type = guess
        guid = self._guid_for()
        key = new_media_key(guid, extension, "audio")
        self._incoming.begin(key, mime_type)
        self.planned = PlannedKey(guid, key, extension, mime_type)

    def finish(self) -> None:
        """Everything has arrived: send the last part on now (it travels during inspection)."""
        if not self._finished:
            self._finished = True
            if self._incoming is not None:
                self._incoming.finish()

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the read position; Werkzeug rewinds a file part once it has arrived whole."""
        if (offset, whence) == (0, 0):
            self.finish()
        return self._staging.file.seek(offset, whence)

    def hexdigest(self) -> str:
        """SHA-256 of everything written (waits for the hashing thread)."""
        return self._digest.hexdigest()

    def store(self, storage: Storage, key: str, content_type: str) -> None:
        """Make the received file the object at key: the upload begun while receiving when key
        is the planned one, else a put of the staging file. Nothing is visible on failure."""
        self.planned = None  # a key is used once, even if its object is deleted again
        if self._incoming is not None and storage is self._storage:
            self._incoming.commit(key, content_type)
            return
        with self._staging.path.open("rb") as handle:
            storage.put(key, handle, content_type=content_type, size=self.size)

    def abandon(self) -> None:
        """Abort what receiving already sent to storage (no part, no object left)."""
        self.planned = None
        if self._incoming is not None:
            self._incoming.abandon()

    def close(self) -> None:
        """Abort what was sent ahead, remove the staging file."""
        self._cleanup()

    def tell(self) -> int:
        """The read position."""
        return self._staging.file.tell()

    def flush(self) -> None:
        """Nothing is buffered: bytes go straight to the file."""

    def __getattr__(self, attr: str) -> Any:
        # read, seek, readable, ...: whatever else Werkzeug and the pipeline ask of a file.
        return getattr(self._staging.file, attr)


@dataclass(frozen=True)
class StagedFile:
    """An upload written to a staging file, with its size and SHA-256."""

    path: Path
    size: int
    sha256: str
    filename: str
    receiver: Receiver

    @property
    def planned(self) -> PlannedKey | None:
        """The key the upload is already being stored under, if any."""
        return self.receiver.planned


def safe_filename(name: str) -> str:
    """The uploader's file name without any directory part, kept only for display."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:255]


def _too_large(max_bytes: int) -> TooLargeError:
    return TooLargeError(
        say("The file is larger than the %(count)s MB limit.", count=max_bytes // (1024 * 1024))
    )


@contextmanager
def staged(
    upload: Upload,
    max_bytes: int,
    storage: Storage | None = None,
    guid_for: Callable[[], str] | None = None,
) -> Iterator[StagedFile]:
    """The upload in a staging file (never whole in memory), removed on every path: a file the
    web server received is used in place; any other stream is received here, and sent on to
    `storage` as it is read when it looks like audio (keys from `guid_for`)."""
    stream = upload.stream
    name = safe_filename(upload.filename)
    if isinstance(stream, Receiver) and stream.tell() == 0:
        # Already on disk, hashed and perhaps in storage: the request closes it at its end.
        if stream.size > max_bytes:
            stream.abandon()
            raise _too_large(max_bytes)
        try:
            yield StagedFile(Path(stream.name), stream.size, stream.hexdigest(), name, stream)
        except BaseException:
            stream.abandon()
            raise
        return
    receiver = Receiver(storage, guid_for)
    try:
        while chunk := stream.read(CHUNK):
            if receiver.size + len(chunk) > max_bytes:
                raise _too_large(max_bytes)
            receiver.write(chunk)
        yield StagedFile(Path(receiver.name), receiver.size, receiver.hexdigest(), name, receiver)
    finally:
        receiver.close()


def planned_guid(upload: Upload | None) -> str | None:
    """The guid in the key a received upload is already stored under (a new episode takes it)."""
    stream = upload.stream if upload is not None else None
    planned = stream.planned if isinstance(stream, Receiver) else None
    return planned.guid if planned is not None else None


def _audio_key(staged_file: StagedFile, guid: str, info: audio.AudioInfo) -> str:
    """The planned key when the guess from the first bytes was right, else a fresh one (the
    upload begun under the planned key is then aborted)."""
    planned = staged_file.planned
    if planned is not None and (planned.guid, planned.extension, planned.mime_type) == (
        guid, info.extension, info.mime_type,
    ):  # fmt: skip
        return planned.key
    staged_file.receiver.abandon()
    return new_media_key(guid, info.extension, "audio")


def _master_format(path: Path) -> str | None:
    """wav, aiff or flac when the file is a master (identified by content), else None."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    try:
        kind = sniff(head)
    except AudioError:
        return None
    return kind if kind in processing.MASTER_FORMATS else None


def _ingest_master(staged_file: StagedFile, storage: Storage, guid: str, fmt: str) -> MediaAsset:
    """Keep a master privately (masters/...); the published MP3 is made from it by a job."""
    found = processing.check_master(staged_file.path, fmt)
    mime_type, extension = processing.MASTER_FORMATS[fmt]
    staged_file.receiver.abandon()
    key = new_media_key(guid, extension, "master", "masters")
    staged_file.receiver.store(storage, key, mime_type)
    warnings = processing.master_warnings(found)
    return MediaAsset(
        key=key, kind="master", episode_guid=guid, mime_type=mime_type,
        size_bytes=staged_file.size, sha256=staged_file.sha256,
        duration_seconds=found.duration_seconds, sample_rate=found.sample_rate,
        channels=found.channels, bitrate=round(staged_file.size * 8 / found.duration_seconds),
        warnings=[str(w) for w in warnings], warnings_wording=records(warnings),
        original_filename=staged_file.filename,
    )  # fmt: skip


def ingest_audio(storage: Storage, upload: Upload, *, guid: str, max_bytes: int) -> MediaAsset:
    """Inspect an episode's audio and store it; refuses what podcast apps cannot play. A WAV,
    AIFF or FLAC master is kept privately instead (an asset of kind "master")."""
    with staged(upload, max_bytes, storage, lambda: guid) as staged_file:
        try:
            fmt = _master_format(staged_file.path) if staged_file.size else None
            if fmt is not None:
                return _ingest_master(staged_file, storage, guid, fmt)
            info = audio.inspect(staged_file.path)
            audio.require_episode_format(info)
        except ValidationError as exc:
            exc.fields.setdefault("audio", exc.message)
            raise
        key = _audio_key(staged_file, guid, info)
        staged_file.receiver.store(storage, key, info.mime_type)
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
        warnings=[str(w) for w in info.warnings],
        warnings_wording=records(list(info.warnings)),
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
        staged_file.receiver.store(storage, key, info.mime_type)
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
        raise TooLargeError(say("A transcript may be at most 10 MB."))
    vtt = transcripts.to_vtt(transcripts.parse_transcript(data)).encode()
    with staged(Upload(io.BytesIO(vtt), upload.filename), len(vtt) + 1) as staged_file:
        key = new_media_key(guid, "vtt", "transcript")
        staged_file.receiver.store(storage, key, "text/vtt")
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
