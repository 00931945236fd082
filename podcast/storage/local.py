"""Media on local disk, under the instance folder by default."""

from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from podcast.storage.base import (
    _META_SUFFIX,
    _TMP_SUFFIX,
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    IMMUTABLE_CACHE,
    ObjectInfo,
    _check_range,
    _disk_errors,
    _join_url,
    _not_found,
    _unavailable,
    validate_key,
)
from podcast.storage.incoming import Incoming, StagingFile

# The media root's temp area: on the media's own file system, so a received file is linked into
# place, never copied. Its files end in ~tmp: not media, and `podcast check` finds leftovers.
INCOMING_DIR = ".incoming"


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

    def receive(self) -> Incoming:
        """A staging file in the media root's temp area, linked into place by commit."""
        return _LocalIncoming(self)

    def _link_into_place(self, key: str, staging: StagingFile, content_type: str) -> bool:
        """Give the staging file the name `key` (a hard link: one write, no copy); False when
        the file system cannot link, so the caller copies instead."""
        path = self._path(key)
        meta = self._meta_path(path)
        with _disk_errors():
            path.parent.mkdir(parents=True, exist_ok=True)
            os.fsync(staging.fd)
            tmp_meta = meta.with_name(meta.name + _TMP_SUFFIX)
            tmp_meta.write_text(json.dumps({"content_type": content_type}), encoding="utf-8")
            os.replace(tmp_meta, meta)
        try:
            os.link(staging.path, path)
        except FileExistsError:
            raise
        except OSError:
            meta.unlink(missing_ok=True)
            return False
        self._fsync_dir(path.parent)
        return True

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

    def incomplete_uploads(self, started_before: datetime | None = None) -> list[str]:
        """List temp files left behind by interrupted writes (relative paths)."""
        root = self.root.resolve()
        leftovers = []
        for name, rel in self._walk():
            # Receiving uploads are podcast check's to judge (by their lock, not their age).
            if not name.endswith(_TMP_SUFFIX) or rel.startswith(f"{INCOMING_DIR}/"):
                continue
            if started_before is not None:
                try:
                    modified = datetime.fromtimestamp((root / rel).stat().st_mtime, tz=UTC)
                except FileNotFoundError:
                    continue
                if modified > started_before:
                    continue
            leftovers.append(rel)
        return sorted(leftovers)

    def abort_incomplete_uploads(self, started_before: datetime | None = None) -> int:
        """Delete the leftover temp files and return how many there were."""
        leftovers = self.incomplete_uploads(started_before)
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


class _LocalIncoming:
    """An upload received into the media root's temp area and linked to its key by commit."""

    def __init__(self, storage: LocalStorage) -> None:
        self._storage = storage
        area = storage.root / INCOMING_DIR
        try:
            area.mkdir(parents=True, exist_ok=True)
            self.staging = StagingFile(area, _TMP_SUFFIX)
            self._in_root = True
        except OSError:
            # The media directory cannot be written: receive into the temp directory anyway, so
            # the form is read whole; commit's put then reports the storage as unavailable.
            self.staging = StagingFile()
            self._in_root = False

    def write(self, data: bytes) -> None:
        """Append to the staging file."""
        self.staging.append(data)

    def begin(self, key: str, content_type: str) -> None:
        """Nothing to send ahead: the staging file is already on the media's disk."""

    def finish(self) -> None:
        """Nothing to send."""

    def commit(self, key: str, content_type: str) -> ObjectInfo:
        """Link the staging file to key (one write), or copy it where linking cannot work."""
        if self._in_root and self._storage._link_into_place(key, self.staging, content_type):
            return self._storage.stat(key)
        with self.staging.path.open("rb") as handle:
            return self._storage.put(key, handle, content_type=content_type, size=self.staging.size)

    def abandon(self) -> None:
        """Nothing was sent ahead."""

    def discard(self) -> None:
        """Remove the staging file."""
        self.staging.remove()
