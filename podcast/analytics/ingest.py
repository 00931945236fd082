"""`podcast analytics ingest`: media requests a CDN or bucket served without the service,
read from S3 server access logs, CloudFront standard logs or combined logs, counted by the
same rules as the counting route.

Incremental: each log's progress is kept (IngestState) in the transaction that stores its
hits, so a line is never counted twice, even after a crash. A local plain file is read from
where the last run stopped (it may still be growing; only whole lines are taken); a .gz file
or an s3:// object is read once. A line that cannot be read is skipped and counted.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, NamedTuple
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.analytics import record
from podcast.analytics.agents import AGENT_MAX
from podcast.errors import NotFoundError, StorageUnavailableError, ValidationError
from podcast.models import IngestState, utcnow
from podcast.storage import S3Storage, Storage
from podcast.wording import say

FORMATS = ("s3", "cloudfront", "combined")
CHUNK_LINES = 100_000  # lines per transaction: memory stays flat however long the log
FINGERPRINT_BYTES = 256
COUNTING_ROUTE = "d/"  # requests to /d/ were recorded by the route itself: never twice
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}

# host ident user [time] "METHOD path proto" status bytes "referer" "agent"
_COMBINED = re.compile(
    rb'(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+)[^"]*" (\d{3}) (\d+|-)(?: "[^"]*" "([^"]*)")?'
)
# owner bucket [time] ip requester id operation key "request-uri" status error bytes size
# total turnaround "referer" "agent" ...
_S3 = re.compile(
    rb'\S+ \S+ \[([^\]]+)\] (\S+) \S+ \S+ (\S+) (\S+) "[^"]*" (\d{3}|-) \S+ (\d+|-) (\d+|-) '
    rb'\S+ \S+ "[^"]*" "([^"]*)"'
)
_CLOUDFRONT_FIELDS = (  # noqa: SIM905 - the order AWS documents, kept readable
    "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
    "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id "
    "x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher "
    "x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port "
    "time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len "
    "sc-range-start sc-range-end"
).split()


class Broken(ValueError):
    """A line that does not read as its format says."""


class Line(NamedTuple):
    """What one log line says of one request."""

    at: datetime
    address: str
    method: str
    path: str
    status: int
    agent: str
    start: int  # rules.UNKNOWN_START when the log does not say
    length: int


def _clf_time(raw: str) -> datetime:
    """10/Oct/2000:13:55:36 -0700 as UTC."""
    try:
        day, month, rest = raw.split("/", 2)
        year, hour, minute, second_zone = rest.split(":", 3)
        second, zone = second_zone.split(" ")
        sign = -1 if zone[0] == "-" else 1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
        when = datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute),
                        int(second), tzinfo=timezone(offset))  # fmt: skip
    except (ValueError, KeyError, IndexError):
        raise Broken("time") from None
    return when.astimezone(UTC)


class Parser:
    """Reads the lines of one format; a CloudFront log's #Fields line sets its columns."""

    def __init__(self, fmt: str) -> None:
        """A parser for `fmt` (one of FORMATS)."""
        if fmt not in FORMATS:
            raise ValueError(fmt)
        self.fmt = fmt
        self._columns = {name: i for i, name in enumerate(_CLOUDFRONT_FIELDS)}
        self._times: dict[bytes, datetime] = {}

    def _time(self, raw: bytes) -> datetime:
        # Only the UTC day matters: one parse per hour and zone ("03/Nov/2026:09" + " +0000").
        hour = raw[:14] + raw[-6:]
        when = self._times.get(hour)
        if when is None:
            if len(self._times) > 4096:
                self._times.clear()
            when = _clf_time(raw.decode("ascii", "replace"))
            if len(raw) == 26 and raw.endswith(b"00"):  # whole-hour zones: the hour stands
                self._times[hour] = when
        return when

    def parse(self, raw: bytes) -> Line | None:
        """The request on this line; None for a comment or blank line; Broken if unreadable."""
        if self.fmt == "cloudfront":
            return self._cloudfront(raw)
        match = (_COMBINED if self.fmt == "combined" else _S3).match(raw)
        if match is None:
            if not raw.strip():
                return None
            raise Broken("format")
        if self.fmt == "combined":
            address, when, method, target, status, sent, agent = match.groups()
            if method != b"GET" or status not in (b"200", b"206"):
                return None  # read, and not a download: nothing more to look at
            path = target.split(b"?", 1)[0].decode("utf-8", "replace")
            if not path.startswith("/"):  # an absolute URL, as sent to a proxy
                path = urlsplit(path).path
            start = 0 if status == b"200" else -1
            count = 0 if sent == b"-" else int(sent)
        else:
            when, address, operation, key, status, sent, size, agent = match.groups()
            if status == b"-":
                raise Broken("status")
            parts = operation.split(b".")
            method = parts[1] if len(parts) == 3 and parts[2] == b"OBJECT" else b""
            path = unquote(key.decode("utf-8", "replace"))
            count = 0 if sent == b"-" else int(sent)
            whole = size != b"-" and count == int(size)
            start = 0 if status == b"200" or whole else -1
        return Line(
            self._time(when), address.decode("ascii", "replace"),
            method.decode("ascii", "replace"), path, int(status),
            (agent or b"").decode("utf-8", "replace")[:AGENT_MAX], start, count,
        )  # fmt: skip

    def _cloudfront(self, raw: bytes) -> Line | None:
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not text.strip():
            return None
        if text.startswith("#"):
            if text.startswith("#Fields:"):
                names = text[len("#Fields:") :].split()
                self._columns = {name: i for i, name in enumerate(names)}
            return None
        cells = text.split("\t")
        col = self._columns
        try:
            get = lambda name: cells[col[name]]  # noqa: E731
            when = datetime.fromisoformat(f"{get('date')}T{get('time')}+00:00")
            status = int(get("sc-status"))
            sent = int(get("sc-bytes"))
            first = get("sc-range-start") if "sc-range-start" in col else "-"
            last = get("sc-range-end") if "sc-range-end" in col else "-"
            if first.isdigit() and last.isdigit():
                start, count = int(first), min(sent, int(last) - int(first) + 1)
            else:
                start, count = (0 if status == 200 else -1), sent
            agent = unquote(unquote(get("cs(User-Agent)")))  # CloudFront encodes it twice
            return Line(when, get("c-ip"), get("cs-method"), unquote(get("cs-uri-stem")),
                        status, agent[:AGENT_MAX], start, count)  # fmt: skip
        except (IndexError, KeyError, ValueError):
            raise Broken("format") from None


@dataclass
class SourceReport:
    """What ingesting one log did."""

    source: str
    lines: int = 0
    broken: int = 0
    hits: int = 0
    skipped_already: bool = False


@dataclass
class IngestReport:
    """What one ingest did, log by log."""

    sources: list[SourceReport] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as lines a person reads."""
        out = []
        for s in self.sources:
            if s.skipped_already:
                out.append(f"{s.source}: already ingested, skipped.")
            else:
                out.append(
                    f"{s.source}: {s.lines} lines read, {s.broken} broken lines skipped, "
                    f"{s.hits} raw hits stored."
                )
        out.append(
            f"Total: {sum(s.lines for s in self.sources)} lines, {self.broken} broken, "
            f"{sum(s.hits for s in self.sources)} raw hits."
        )
        return out

    @property
    def broken(self) -> int:
        """Broken lines in all logs."""
        return sum(s.broken for s in self.sources)


class _Targets:
    """Media keys of episode audio, found from a log's request path (whatever prefix, bucket
    or CDN path stands before the key)."""

    def __init__(self, session: Session) -> None:
        self._by_key = record.load_targets(session)
        self._paths: dict[str, record.Target | None] = {}

    def __call__(self, path: str) -> record.Target | None:
        found = self._paths.get(path, False)
        if found is not False:
            return found  # type: ignore[return-value]
        target = None
        rest = path.lstrip("/")
        if not rest.startswith(COUNTING_ROUTE):
            for _ in range(8):
                target = self._by_key.get(rest)
                if target is not None or "/" not in rest:
                    break
                rest = rest.split("/", 1)[1]
        if len(self._paths) > 100_000:
            self._paths.clear()
        self._paths[path] = target
        return target


class _Chunks(io.RawIOBase):
    """A readable stream over an iterator of byte chunks (an S3 body for gzip to read)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            try:
                self._left = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


def _lines(stream: IO[bytes], gz: bool) -> Iterator[bytes]:
    reader: IO[bytes] = gzip.GzipFile(fileobj=stream) if gz else stream  # type: ignore[assignment]
    yield from reader


def _state(session: Session, source: str) -> IngestState | None:
    return session.scalar(select(IngestState).where(IngestState.source == source))


def _ingest_lines(
    session: Session,
    lines: Iterable[bytes],
    parser: Parser,
    targets: _Targets,
    state: IngestState,
    report: SourceReport,
    *,
    by_bytes: bool,
) -> None:
    """Parse, count and store, committing progress with the hits every CHUNK_LINES lines.

    `state.offset` advances by bytes (a plain local file) or by lines (a stream read whole).
    """
    seen: list[record.Seen] = []
    taken = consumed = broken = 0
    parse, wanted = parser.parse, seen.append

    def commit() -> None:
        nonlocal taken, consumed, broken
        rows = record.rows_for(seen, targets, record.DayKeys(session), parser.fmt)
        report.hits += record.store(session, rows, utcnow())
        state.offset += consumed if by_bytes else taken
        state.lines += taken
        state.broken += broken
        state.updated_at = utcnow()
        session.commit()
        seen.clear()
        taken = consumed = broken = 0

    for raw in lines:
        taken += 1
        consumed += len(raw)
        try:
            line = parse(raw)
        except Broken:
            broken += 1
            report.broken += 1
            line = None
        if (
            line is not None
            and line.method == "GET"
            and line.status in (200, 206)
            and targets(line.path) is not None
        ):
            wanted(
                record.Seen(line.at, line.path, line.address, line.agent, line.start, line.length)
            )
        if taken >= CHUNK_LINES:
            report.lines += taken
            commit()
    report.lines += taken
    commit()


def _fingerprint(head: bytes) -> str:
    return f"{len(head)}:{hashlib.sha256(head).hexdigest()[:48]}"


def _ingest_file(session: Session, path: Path, parser: Parser, targets: _Targets) -> SourceReport:
    source = f"file://{path.resolve()}"
    report = SourceReport(source)
    with path.open("rb") as handle:
        head = handle.read(FINGERPRINT_BYTES)
        gz = head[:2] == b"\x1f\x8b"
        state = _state(session, source)
        if state is not None:
            size, _, _ = state.fingerprint.partition(":")
            if _fingerprint(head[: int(size or 0)]) != state.fingerprint:
                state.offset, state.done, state.lines, state.broken = 0, False, 0, 0
            elif state.done:
                report.skipped_already = True
                return report
        else:
            state = IngestState(source=source, fingerprint=_fingerprint(head), offset=0,
                                done=False, lines=0, broken=0)  # fmt: skip
            session.add(state)
        if len(head) < FINGERPRINT_BYTES or state.offset == 0:
            state.fingerprint = _fingerprint(head)
        if gz:
            handle.seek(0)
            skip = state.offset  # lines already taken from this compressed log

            def whole_lines() -> Iterator[bytes]:
                for number, raw in enumerate(_lines(handle, gz=True)):
                    if number >= skip:
                        yield raw

            _ingest_lines(session, whole_lines(), parser, targets, state, report, by_bytes=False)
            state.done = True
        else:
            handle.seek(state.offset)

            def complete_lines() -> Iterator[bytes]:
                for raw in handle:
                    if not raw.endswith(b"\n"):
                        return  # a line still being written: taken next time
                    yield raw

            _ingest_lines(session, complete_lines(), parser, targets, state, report, by_bytes=True)
        session.commit()
    return report


def _ingest_object(
    session: Session, logs: S3Storage, key: str, parser: Parser, targets: _Targets
) -> SourceReport:
    source = f"s3://{logs.bucket}/{key}"
    report = SourceReport(source)
    info = logs.stat(key)
    state = _state(session, source)
    if state is not None and state.fingerprint == info.etag[:64]:
        if state.done:
            report.skipped_already = True
            return report
    elif state is not None:  # the object was overwritten: read it afresh
        state.offset, state.lines, state.broken, state.done = 0, 0, 0, False
        state.fingerprint = info.etag[:64]
    else:
        state = IngestState(source=source, fingerprint=info.etag[:64], offset=0, done=False,
                            lines=0, broken=0)  # fmt: skip
        session.add(state)
    stream = io.BufferedReader(_Chunks(logs.open_range(key)))
    head = stream.peek(2)[:2]
    skip = state.offset

    def object_lines() -> Iterator[bytes]:
        for number, raw in enumerate(_lines(stream, gz=head == b"\x1f\x8b")):
            if number >= skip:
                yield raw

    _ingest_lines(session, object_lines(), parser, targets, state, report, by_bytes=False)
    state.done = True
    session.commit()
    return report


def ingest(
    session: Session,
    source: str,
    fmt: str,
    *,
    storage: Storage | None = None,
    endpoint_url: str | None = None,
) -> IngestReport:
    """Ingest one local log file or every log under s3://bucket/prefix; what it did."""
    if fmt not in FORMATS:
        raise ValidationError(say("The format must be s3, cloudfront or combined."))
    parser_for = lambda: Parser(fmt)  # noqa: E731 - one per log: CloudFront's #Fields differ
    targets = _Targets(session)
    report = IngestReport()
    if source.startswith("s3://"):
        parts = urlsplit(source)
        if not parts.netloc:
            raise ValidationError(say("An s3:// source must name a bucket: s3://bucket/prefix."))
        if endpoint_url is None and isinstance(storage, S3Storage):
            endpoint_url = storage.endpoint_url
        logs = S3Storage(parts.netloc, "", endpoint_url=endpoint_url)
        prefix = parts.path.lstrip("/")
        try:
            names = list(logs.iter_keys(prefix))
        except StorageUnavailableError:
            raise
        for key in names:
            try:
                report.sources.append(_ingest_object(session, logs, key, parser_for(), targets))
            except (ValueError, NotFoundError):
                session.rollback()
                report.sources.append(SourceReport(f"s3://{logs.bucket}/{key}", broken=1))
        return report
    path = Path(source.removeprefix("file://"))
    if not path.is_file():
        raise NotFoundError(say("There is no log file at %(path)s.", path=str(path)))
    report.sources.append(_ingest_file(session, path, parser_for(), targets))
    return report
