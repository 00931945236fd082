"""Files the import brings in: downloaded into locked temp files (removed on every path; a
crashed worker's are swept by `podcast check`), then handed to the upload pipeline."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from podcast.errors import PodcastError
from podcast.imports.fetcher import Fetcher
from podcast.storage.incoming import open_staging_file


@dataclass(frozen=True)
class ImportOptions:
    """The limits of one import: private addresses (tests), the largest media file, and how
    many media files download at once."""

    allow_private: bool = False
    max_media_bytes: int = 600 * 1024 * 1024
    concurrency: int = 4


@dataclass
class TempDownload:
    """A downloaded file waiting for the pipeline, or the sentence saying why it is not there."""

    url: str
    handle: IO[bytes] | None = None
    path: Path | None = None
    size: int = 0
    error: str = ""
    _closed: bool = field(default=False, repr=False)

    def sha256(self) -> str:
        """SHA-256 of the file (read again: images are small)."""
        assert self.handle is not None
        digest = hashlib.sha256()
        self.handle.seek(0)
        while chunk := self.handle.read(1024 * 1024):
            digest.update(chunk)
        self.handle.seek(0)
        return digest.hexdigest()

    def remove(self) -> None:
        """Remove the file, then close it (dropping its lock); safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
        if self.handle is not None:
            with contextlib.suppress(OSError):
                self.handle.close()


def download(
    fetcher: Fetcher,
    url: str,
    options: ImportOptions,
    max_bytes: int,
    progress: Callable[[int], None] | None = None,
) -> TempDownload:
    """Download url into a temp file; a failure is kept as the download's error sentence."""
    fd, name = open_staging_file(suffix=".part")
    result = TempDownload(url, os.fdopen(fd, "w+b"), Path(name))
    assert result.handle is not None
    try:
        fetcher.download_to(
            url, result.handle, allow_private=options.allow_private, max_bytes=max_bytes,
            progress=progress,
        )  # fmt: skip
        result.handle.flush()
        result.size = result.handle.tell()
        result.handle.seek(0)
    except PodcastError as exc:
        result.remove()
        result.error = exc.message
    except BaseException:
        result.remove()
        raise
    return result


@contextlib.contextmanager
def downloaded(
    fetcher: Fetcher, url: str, options: ImportOptions, max_bytes: int
) -> Iterator[tuple[IO[bytes], int]]:
    """The file at url as an open temp file and its size, removed afterwards; raises the
    fetch's PodcastError."""
    result = download(fetcher, url, options, max_bytes)
    try:
        if result.error or result.handle is None:
            raise PodcastError(result.error)
        yield result.handle, result.size
    finally:
        result.remove()
