"""Multipart bodies parsed so that every failure says what happened, not "too large" or "empty".

Werkzeug answers a bare 413 for too many parts and for an oversized text field alike (the
error pages then blamed the upload limit), and silently drops a body cut off mid-part (the
views then found "no fields"). This parser tells them apart.
"""

from __future__ import annotations

from typing import IO, Any

from werkzeug.exceptions import BadRequest, ClientDisconnected, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser, MultiPartParser

CUT_OFF = (
    "The upload was cut off: the body ends in the middle of a part. Nothing was saved; "
    "send it again."
)


# Werkzeug reads 64 KiB at a time; 256 KiB reads cut the per-chunk Python work (parsing, hashing,
# staging) of a 96 MB upload to a quarter. It must stay under max_form_memory_size: the decoder
# refuses a buffer larger than that while it reads part headers.
BUFFER_SIZE = 256 * 1024


class FormLimitError(RequestEntityTooLarge):
    """413 for a form over one of its limits, with a sentence naming which."""


class FormBodyError(BadRequest):
    """400 for a multipart body that cannot be read (cut off, no boundary), with a sentence."""


class _StreamTooLarge(RequestEntityTooLarge):
    """The body itself over MAX_CONTENT_LENGTH (the upload limit's own message applies)."""


class _PartCounter:
    """The body as the parser reads it, counting part delimiters on the way past."""

    def __init__(self, stream: IO[bytes], boundary: bytes, limit: int | None) -> None:
        self._stream, self._limit = stream, limit
        self._delimiter = b"--" + boundary
        self._tail = b""
        self._seen = 0

    def read(self, size: int = -1) -> bytes:
        """Read on; raise FormLimitError once more than `limit` parts have begun."""
        try:
            data = self._stream.read(size)
        except RequestEntityTooLarge:
            raise _StreamTooLarge() from None
        if self._limit is None or not data:
            return data
        # A delimiter can straddle two reads: look at the seam, then inside this read.
        overlap = len(self._delimiter) - 1
        self._seen += (self._tail + data[:overlap]).count(self._delimiter)
        self._seen += data.count(self._delimiter)
        self._tail = data[-overlap:]
        if self._seen > self._limit + 1:  # one delimiter opens each part, one closes the body
            raise FormLimitError(
                f"The form has more than {self._limit:,} parts, more than any form here "
                "sends; send the fields once each."
            )
        return data


class PodcastFormDataParser(FormDataParser):
    """FormDataParser whose multipart errors are FormLimitError and FormBodyError sentences."""

    def _parse_multipart(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> Any:
        boundary = options.get("boundary", "").encode("ascii", "replace")
        if not boundary:
            raise FormBodyError("The Content-Type multipart/form-data names no boundary.")
        # The part count is ours to check (with its own sentence); the text-field size is
        # the parser's, so a 413 out of the parser can only mean that.
        parser = MultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=None,
            cls=self.cls,
            buffer_size=BUFFER_SIZE,
        )
        counted = _PartCounter(stream, boundary, self.max_form_parts)
        try:
            # The parser only calls read(), which _PartCounter has; it is not a whole IO.
            form, files = parser.parse(counted, boundary, content_length)  # type: ignore[arg-type]  # reads only
        except (FormLimitError, _StreamTooLarge):
            raise
        except RequestEntityTooLarge:
            limit = (self.max_form_memory_size or 0) // 1000
            raise FormLimitError(
                f"A text field of the form is larger than {limit:,} kB; shorten it "
                "(a description, summary or bio is far smaller), or send a file as a file."
            ) from None
        except ClientDisconnected:
            raise FormBodyError(CUT_OFF) from None
        except ValueError as exc:
            if "PREAMBLE" in str(exc):
                message = "The body does not hold the multipart boundary its Content-Type names."
            elif "beyond" in str(exc):
                message = CUT_OFF
            else:
                message = f"The multipart body cannot be read ({exc})."
            raise FormBodyError(message) from None
        return stream, form, files
