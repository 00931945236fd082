"""The Storage protocol every backend follows, object info, and media keys."""

from __future__ import annotations

import contextlib
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from podcast.errors import NotFoundError, StorageUnavailableError

if TYPE_CHECKING:
    from podcast.storage.incoming import Incoming

IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
CHUNK_SIZE = 256 * 1024
MIB = 1024 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"

_KEY_RE = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")
# "~" can never appear in a valid key, so these helper files can never collide with media.
_TMP_SUFFIX = "~tmp"
_META_SUFFIX = "~meta"


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


_OWNER_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")
# Names the folder of an owner whose name cannot be a key part (an imported guid such as
# "https://host/?p=12"): a UUIDv5 of it, the same every time.
_OWNER_NAMESPACE = uuid.UUID("9b0f3f1e-5d5a-4c1e-9d7e-2f6c1f0a8e51")


def key_owner(owner: str) -> str:
    """The key part naming an owner: itself when it is a short safe name (a UUID, a slug),
    else a UUIDv5 of it."""
    if _OWNER_RE.fullmatch(owner) and ".." not in owner:
        return owner
    return str(uuid.uuid5(_OWNER_NAMESPACE, owner))


def new_media_key(
    guid: str, extension: str, kind: str = "audio", collection: str = "episodes"
) -> str:
    """Return a fresh, never-reused key such as episodes/<guid>/audio-<token>.mp3."""
    ext = extension.lower().lstrip(".")
    token = secrets.token_urlsafe(9)
    return validate_key(f"{collection}/{key_owner(guid)}/{kind}-{token}.{ext}")


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

    def receive(self) -> Incoming:
        """A staging file for an upload as it arrives, sent on or taken in place (Incoming)."""

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

    def incomplete_uploads(self, started_before: datetime | None = None) -> list[str]:
        """List the keys of uploads started (before `started_before`) but never completed."""

    def abort_incomplete_uploads(self, started_before: datetime | None = None) -> int:
        """Remove those incomplete uploads (uploads in flight are younger) and count them."""

    def public_url(self, key: str) -> str | None:
        """Return media_base_url/<full key> when a base URL is configured, else None."""

    def local_path(self, key: str) -> Path | None:
        """Return the file holding key when the backend is a local disk, else None."""

    def check(self) -> None:
        """Cheap health check; raise StorageUnavailableError when storage cannot be used."""
