"""Recording downloads without slowing them: the route appends what it saw to an in-memory
buffer (no I/O, no database); a background thread turns the buffer into raw hits each second.

Everything that costs is done off the request: finding the episode of a media key, the user
agent's app, the country, the listener's HMAC. If the database is down the hits wait (up to
BUFFER_MAX) and the failure is logged without any address; the download itself never waits.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from flask import Flask, current_app
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from podcast.analytics import agents, geo, keys, rules
from podcast.extensions import db
from podcast.models import DownloadHit, Episode, MediaAsset, ReplacedMedia, utcnow

log = logging.getLogger(__name__)

EXTENSION_KEY = "podcast.analytics.recorder"
FLUSH_SECONDS = 1.0
BUFFER_MAX = 100_000  # requests held while the database is away; past it, new ones are dropped
RANGE_MAX = 200  # characters of a Range header kept for a redirected request
TARGETS_MAX = 20_000  # media keys remembered per process (keys never change meaning)


class Seen(NamedTuple):
    """One GET the counting route (or a log line) saw: when, which object, who, which bytes.

    `length` None: the bytes are those the Range header asks of the file (a redirect, where
    the CDN sends them), decided once the file's size is known.
    """

    at: datetime
    key: str
    address: str
    agent: str
    start: int = 0
    length: int | None = None
    range: str | None = None
    size: int | None = None  # the file's, when the route served it


@dataclass(frozen=True)
class Target:
    """The episode a media key belongs to, and what a download of that file takes."""

    episode_id: int
    show_id: int
    size: int
    needed: int


def load_targets(session: Session, wanted: Iterable[str] | None = None) -> dict[str, Target]:
    """Episode audio by media key (current files and replaced ones in their grace period);
    every episode's when `wanted` is None (a log ingest), else only those keys."""
    current = (
        select(MediaAsset.key, Episode.id, Episode.show_id, MediaAsset.size_bytes,
               MediaAsset.bitrate, MediaAsset.duration_seconds)
        .join(Episode, Episode.audio_id == MediaAsset.id)
    )  # fmt: skip
    # A replaced file's row is gone: its episode's current audio stands in for its bitrate.
    replaced = (
        select(ReplacedMedia.key, Episode.id, Episode.show_id, MediaAsset.size_bytes,
               MediaAsset.bitrate, MediaAsset.duration_seconds)
        .join(Episode, Episode.id == ReplacedMedia.episode_id)
        .join(MediaAsset, MediaAsset.id == Episode.audio_id)
    )  # fmt: skip
    if wanted is not None:
        names = sorted(set(wanted))
        if not names:
            return {}
        current = current.where(MediaAsset.key.in_(names))
        replaced = replaced.where(ReplacedMedia.key.in_(names))
    found: dict[str, Target] = {}
    for statement in (replaced, current):  # a current file wins over a replaced one
        for key, episode_id, show_id, size, bitrate, duration in session.execute(statement):
            needed = rules.needed_bytes(size, bitrate, duration)
            found[key] = Target(episode_id, show_id, size, needed)
    return found


class DayKeys:
    """The listener keys of the days a batch touches, read (or made) once each."""

    def __init__(self, session: Session) -> None:
        """Keys come from (and new ones go into) this session's transaction."""
        self._session = session
        self._known: dict[date, bytes] = {}

    def __call__(self, day: date) -> bytes:
        """The secret of `day`."""
        secret = self._known.get(day)
        if secret is None:
            secret = self._known[day] = keys.key_for(self._session, day)
        return secret


def rows_for(
    seen: Iterable[Seen],
    targets: Callable[[str], Target | None],
    day_key: Callable[[date], bytes],
    source: str,
) -> list[dict[str, Any]]:
    """Raw-hit rows for what was seen, by the rules: bots, Apple Watch, data centres, probes
    and other files dropped; one row per listener, file, day and disjoint span."""
    gathered: dict[tuple[date, int, str, int], tuple[Target, str, str, list[rules.Span]]] = {}
    # Within one batch the same addresses and agents come again and again: work each out once.
    # These die with the batch; no address outlives it.
    places: dict[str, tuple[rules.Address | None, str]] = {}
    listeners: dict[tuple[date, str, str], str] = {}
    for item in seen:
        target = targets(item.key)
        if target is None:
            continue
        agent = agents.classify(item.agent)
        if agent.bot or agent.watch:
            continue
        place = places.get(item.address)
        if place is None:
            where = rules.address(item.address)
            place = places[item.address] = (where, geo.country(item.address) if where else "")
        where, country = place
        if where is None or where.datacentre:
            continue
        size, needed = target.size, target.needed
        if item.size is not None and item.size != size:
            # A replaced file in its grace period: its own size, the episode's bitrate.
            size, needed = item.size, min(item.size, target.needed)
        if item.length is None:
            span = rules.requested_span(item.range, size)
        else:
            span = rules.Span(item.start, item.length)
        if rules.is_probe(span):
            continue
        day = item.at.date()
        who = (day, where.listener, item.agent)
        listener = listeners.get(who)
        if listener is None:
            agent_text = item.agent[: agents.AGENT_MAX]
            listener = listeners[who] = keys.listener(day_key(day), where.listener, agent_text)
        slot = (day, target.episode_id, listener, needed)
        if slot not in gathered:
            gathered[slot] = (target, agent.app, country, [])
        gathered[slot][3].append(span)
    rows = []
    for (day, episode_id, listener, needed), (target, app, country, spans) in gathered.items():
        for span in rules.merged(spans):
            rows.append(
                {
                    "show_id": target.show_id, "episode_id": episode_id, "day": day,
                    "listener": listener, "app": app, "country": country,
                    "byte_start": span.start, "byte_count": span.length, "needed": needed,
                    "source": source, "processed": False,
                }
            )  # fmt: skip
    return rows


def store(session: Session, rows: list[dict[str, Any]], now: datetime) -> int:
    """Insert raw-hit rows in the caller's transaction (one statement); how many."""
    if rows:
        for row in rows:
            row["created_at"] = now
        # Core, not the ORM's bulk insert: a log ingest writes hundreds of thousands of rows.
        session.connection().execute(insert(DownloadHit), rows)
    return len(rows)


class Recorder:
    """The per-process buffer between the counting route and the download_hit table."""

    def __init__(self, app: Flask) -> None:
        """Nothing starts until the first request is recorded (create_app does no I/O)."""
        self.app = app
        self.clock: Callable[[], datetime] = utcnow  # tests hand in their own `now`
        self.dropped = 0
        self._queue: deque[Seen] = deque()
        self._retry: list[dict[str, Any]] = []
        self._targets: dict[str, tuple[Target | None, float]] = {}
        self._flushing = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def add(self, seen: Seen) -> None:
        """Buffer one request (constant time, no I/O); the flusher thread starts on first use."""
        if len(self._queue) >= BUFFER_MAX:
            self.dropped += 1
            return
        self._queue.append(seen)
        if self._pid != os.getpid() and not self.app.testing:
            self._start()

    def pending(self) -> int:
        """Requests buffered and not yet written."""
        return len(self._queue) + len(self._retry)

    def _start(self) -> None:
        with self._flushing:
            if self._pid == os.getpid():
                return
            # A forked worker inherits the buffer's object but not the thread: start its own.
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="podcast-analytics", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            if self._queue or self._retry:
                with self.app.app_context():
                    self.flush()

    def _target(self, session: Session, key: str, now: float) -> Target | None:
        known = self._targets.get(key)
        if known is not None and (known[0] is not None or known[1] > now):
            return known[0]
        found = load_targets(session, [key]).get(key)
        if len(self._targets) >= TARGETS_MAX:
            self._targets.clear()
        # An unknown key (an image, a guess) is asked again after a minute, not every time.
        self._targets[key] = (found, now + 60)
        return found

    def flush(self, now: datetime | None = None) -> int:
        """Write what is buffered as raw hits (in the app context); how many rows were written.

        Never raises: a failure is logged (never with an address) and the rows are kept for
        the next flush, up to BUFFER_MAX.
        """
        with self._flushing:
            batch = [self._queue.popleft() for _ in range(len(self._queue))]
            retry, self._retry = self._retry, []
            made: list[dict[str, Any]] = []
            # A session of its own: the caller's (a test, a command) is never touched.
            with Session(db.engine) as session:
                try:
                    moment = time.monotonic()
                    made = rows_for(
                        batch,
                        lambda key: self._target(session, key, moment),
                        DayKeys(session),
                        "route",
                    )
                    written = store(session, retry + made, now or utcnow())
                    session.commit()
                    return written
                except Exception as exc:  # noqa: BLE001 - recording must never break anything
                    session.rollback()
                    if made or not batch:
                        self._retry = (retry + made)[:BUFFER_MAX]
                    else:  # the rows could not even be made (no key, no episode): keep these
                        self._retry = retry
                        self._queue.extendleft(reversed(batch[: BUFFER_MAX - len(retry)]))
                    log.warning(
                        "analytics: %d requests not recorded yet (%s); will retry",
                        len(batch) + len(retry), type(exc).__name__,
                    )  # fmt: skip
                    return 0


def recorder(app: Flask | None = None) -> Recorder:
    """The app's recorder (one per app and process)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        found = app.extensions[EXTENSION_KEY] = Recorder(app)
    return found
