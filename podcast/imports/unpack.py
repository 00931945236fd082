"""Content-Encoding undone chunk by chunk, with a cap on what it unpacks to (gzip bombs)."""

from __future__ import annotations

import zlib
from typing import Any

from podcast.imports.errors import FetchError
from podcast.wording import say


class TooLarge(Exception):
    """A body past its limit (each caller says so in its own words)."""

    def __init__(self, unpacked: bool) -> None:
        super().__init__()
        self.unpacked = unpacked


class Unpacker:
    """Content-Encoding undone chunk by chunk, never past a limit of unpacked bytes."""

    def __init__(self, encoding: str, url: str) -> None:
        self.encoding = encoding.strip().lower()
        self.url = url
        self.started = False
        if self.encoding in ("", "identity"):
            self.zlib: Any = None
        elif self.encoding in ("gzip", "x-gzip"):
            self.zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self.zlib = zlib.decompressobj()
        else:
            raise FetchError(
                say(
                    "%(url)s was sent with an encoding (%(encoding)s) that imports cannot read.",
                    url=url,
                    encoding=encoding,
                )
            )

    def feed(self, data: bytes, room: int) -> bytes:
        """The unpacked bytes of data; TooLarge once they pass `room`."""
        if self.zlib is None:
            if len(data) > room:
                raise TooLarge(unpacked=False)
            return data
        try:
            out = self.zlib.decompress(data, room + 1)
        except zlib.error:
            if self.encoding == "deflate" and not self.started:
                # Some servers send raw deflate without the zlib header.
                self.zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                self.started = True
                return self.feed(data, room)
            raise FetchError(
                say("%(url)s was sent compressed, but the data does not unpack.", url=self.url)
            ) from None
        self.started = True
        if len(out) > room:
            raise TooLarge(unpacked=True)
        return bytes(out)


def size_words(count: int) -> str:
    """A byte count as people read it: "20 MB", "2 GB", "640 bytes"."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count} bytes"
