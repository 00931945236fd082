"""Uploaded file parts, written once: Werkzeug streams each part into a staging file that the
upload pipeline adopts as it is (services.uploads.AlreadyStaged), hashed on arrival."""

from __future__ import annotations

import hashlib
import os
import weakref
from pathlib import Path
from typing import Any, BinaryIO

from flask import Request
from werkzeug.exceptions import HTTPException

from podcast.services.uploads import open_staging_file
from podcast.views.multipart import PodcastFormDataParser


def _close_and_remove(handle: BinaryIO, name: str) -> None:
    # Remove first, then close (which drops the lock): `podcast check` never sees it unlocked.
    try:
        Path(name).unlink(missing_ok=True)
    finally:
        handle.close()


class ReceivedFile:
    """Where Werkzeug writes an uploaded file: a podcast-upload-* temp file, hashed as the
    bytes arrive, so the pipeline adopts it instead of copying 150 MB a second time.

    Werkzeug writes the part, seeks to 0 and hands it to the view; the request closes it at its
    end, which removes the file.
    """

    def __init__(self) -> None:
        fd, self.name = open_staging_file()  # locked until closed or the process dies
        self._file = os.fdopen(fd, "w+b")
        self._digest = hashlib.sha256()
        self.size = 0
        # Werkzeug drops a half-written part without closing it (a body cut short or over the
        # limit): the file then goes when the object does.
        self._cleanup = weakref.finalize(self, _close_and_remove, self._file, self.name)

    def write(self, data: bytes) -> int:
        """Append received bytes, hashing them."""
        self._digest.update(data)
        self.size += len(data)
        return self._file.write(data)

    def hexdigest(self) -> str:
        """SHA-256 of everything written."""
        return self._digest.hexdigest()

    def tell(self) -> int:
        """The read position."""
        return self._file.tell()

    def flush(self) -> None:
        """Write what is buffered to the file."""
        self._file.flush()

    def close(self) -> None:
        """Close and remove the file."""
        self._cleanup()

    def __getattr__(self, attr: str) -> Any:
        # read, seek, readable, ...: whatever else Werkzeug and the pipeline ask of a file.
        return getattr(self._file, attr)


class PodcastRequest(Request):
    """Requests whose uploaded files land straight in the upload pipeline's staging files, and
    whose multipart errors say what went wrong."""

    form_data_parser_class = PodcastFormDataParser

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except HTTPException:
            # The body is spent: whoever reads the form next (an error page) finds it empty
            # instead of parsing nothing and failing again.
            self.__dict__["form"] = self.parameter_storage_class()
            self.__dict__["files"] = self.parameter_storage_class()
            raise

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> Any:
        return ReceivedFile()
