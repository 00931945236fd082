"""RFC 9110 conditional and range requests for a stored object, decided from its headers alone.

Pure: the media view gives it the request's method and headers and what storage says of the
object (size, strong ETag, modification time); it answers which status to send and which bytes.
The same rules then hold on local disk and on the S3 proxy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from werkzeug.datastructures import Headers
from werkzeug.http import parse_date, parse_etags

# A request's headers, or a plain mapping of them (the tests use dicts).
RequestHeaders = Headers | Mapping[str, str]

_SPEC = re.compile(r"([0-9]*)-([0-9]*)", re.ASCII)


@dataclass(frozen=True)
class Representation:
    """What the answer depends on: the object's size, strong ETag (unquoted) and mtime."""

    size: int
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class Answer:
    """The status to send and, for 200/206, the inclusive byte span of the body."""

    status: int  # 200, 206, 304, 412 or 416
    start: int = 0
    end: int = -1

    @property
    def length(self) -> int:
        """Bytes in the body (0 for 304, 412 and 416)."""
        return self.end - self.start + 1 if self.status in (200, 206) else 0


def _seconds(when: datetime) -> datetime:
    """HTTP dates carry whole seconds: compare at that precision."""
    return when.replace(microsecond=0)


def _preconditions(method: str, headers: RequestHeaders, rep: Representation) -> int | None:
    """412 or 304 when a precondition decides the answer, in RFC 9110 13.2.2's order."""
    if_match = headers.get("If-Match")
    if if_match is not None:
        if not parse_etags(if_match).contains(rep.etag):  # strong comparison; "*" matches
            return 412
    else:
        since = parse_date(headers.get("If-Unmodified-Since"))
        if since is not None and _seconds(rep.last_modified) > since:
            return 412
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        if parse_etags(if_none_match).contains_weak(rep.etag):
            return 304 if method in ("GET", "HEAD") else 412
    elif method in ("GET", "HEAD"):
        since = parse_date(headers.get("If-Modified-Since"))
        if since is not None and _seconds(rep.last_modified) <= since:
            return 304
    return None


def _if_range_holds(value: str | None, rep: Representation) -> bool:
    """If-Range matches only a strong ETag equal to ours or our exact Last-Modified date."""
    if value is None:
        return True
    value = value.strip()
    if value.startswith("W/"):
        return False  # a weak validator never matches (RFC 9110 13.1.5)
    if value.startswith('"'):
        return value == f'"{rep.etag}"'
    when = parse_date(value)
    return when is not None and when == _seconds(rep.last_modified)


def parse_range(value: str) -> list[tuple[str, str]] | None:
    """The (first, last) digit strings of a bytes Range header, or None when unparseable."""
    unit, sep, specs = value.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    found = []
    for spec in specs.split(","):
        spec = spec.strip()
        if not spec:
            continue  # empty list elements are allowed
        match = _SPEC.fullmatch(spec)
        if match is None or not (match[1] or match[2]):
            return None
        found.append((match[1], match[2]))
    return found or None


def answer(method: str, headers: RequestHeaders, rep: Representation) -> Answer:
    """Decide the status and byte span for a GET or HEAD of `rep`."""
    whole = Answer(200, 0, rep.size - 1)
    decided = _preconditions(method, headers, rep)
    if decided is not None:
        return Answer(decided)
    raw = headers.get("Range")
    if raw is None or not _if_range_holds(headers.get("If-Range"), rep):
        return whole
    specs = parse_range(raw)
    if specs is None or len(specs) > 1:
        return whole  # unparseable: ignored; several ranges: the whole file is a valid answer
    first, last = specs[0]
    if first:
        start = int(first)
        end = int(last) if last else rep.size - 1
        if end < start or start >= rep.size:
            return Answer(416)
        return Answer(206, start, min(end, rep.size - 1))
    suffix = int(last)
    if suffix == 0 or rep.size == 0:
        return Answer(416)
    return Answer(206, max(rep.size - suffix, 0), rep.size - 1)  # longer than the file: all of it
