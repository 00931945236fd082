"""Files on their way into storage: a locked staging file the upload is written to as it arrives,
which a backend may already send on (S3, part by part) or take in place (local disk)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path
from typing import Protocol

from podcast.storage.base import MIB, ObjectInfo

TEMP_PREFIX = "podcast-upload-"
# S3 parts are 5 MiB at least; 8 MiB is what boto3's upload_file uses (the benchmark's floor).
PART_SIZE = 8 * MIB


def open_staging_file(directory: Path | None = None, suffix: str = "") -> tuple[int, str]:
    """A new podcast-upload-* temp file (descriptor, path), locked while it is in use.

    The lock lives as long as the descriptor; the kernel drops it when the process dies, so
    `podcast check` tells a crashed worker's leftover from an upload in flight.
    """
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=directory)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd, name


class StagingFile:
    """A staging file written at its end (pwrite) and read by position, so that readers in other
    threads (S3 parts) and the one writer never share a file offset."""

    def __init__(self, directory: Path | None = None, suffix: str = "") -> None:
        """Create and lock the file (in the system temp directory unless told otherwise)."""
        self.fd, name = open_staging_file(directory, suffix)
        self.path = Path(name)
        self.size = 0
        # Unbuffered: what Werkzeug and the inspection read through it is what pwrite wrote.
        self.file = os.fdopen(self.fd, "r+b", buffering=0)

    def append(self, data: bytes | memoryview) -> None:
        """Write data at the end of the file."""
        view = memoryview(data)
        while view:
            written = os.pwrite(self.fd, view, self.size)
            self.size += written
            view = view[written:]

    def remove(self) -> None:
        """Remove the file, then close it (dropping the lock); safe to call more than once."""
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)
        self.file.close()


class Incoming(Protocol):
    """An object being received: bytes appended to a local staging file (which the caller may
    read, to inspect it); once `begin` names the key, the backend may send them on as they come.
    Storage errors while receiving are kept and raised by `commit`, never by `write`."""

    staging: StagingFile

    def write(self, data: bytes) -> None:
        """Append bytes to the staging file (and send on whatever part they fill)."""

    def begin(self, key: str, content_type: str) -> None:
        """Start storing under key while the rest arrives (S3: a multipart upload)."""

    def finish(self) -> None:
        """The upload has arrived whole: send its last part now, while it is inspected."""

    def commit(self, key: str, content_type: str) -> ObjectInfo:
        """Make everything written the object at key (the begun upload when key and type are
        those begun, else a plain put of the staging file); nothing is visible on failure."""

    def abandon(self) -> None:
        """Abort what `begin` started (no part left behind); the staging file stays."""

    def discard(self) -> None:
        """Abandon the upload and remove the staging file."""
