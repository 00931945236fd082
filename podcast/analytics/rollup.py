"""Raw hits into download_daily, by the rules; and the retention purge.

Idempotent and safe to run anywhere at any time: one rollup at a time holds a lock (a
PostgreSQL advisory lock; on SQLite, its single writer), and a hit is marked processed in the
same transaction that counts it. A listener's download is counted when the hits processed
now take their spans for that file and day over the line, and were short of it before.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, exists, false, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from podcast.analytics import keys, rules
from podcast.jobs.records import Job, JobState
from podcast.models import DownloadDaily, DownloadHit, Episode

# The minute's rollup job: routine bookkeeping whose result is the counts themselves, so a
# done one is left out of the jobs lists and deleted by the nightly purge after a day.
ROLLUP_KIND = "analytics_rollup"
DONE_ROLLUPS_KEPT = timedelta(days=1)

BATCH = 20_000  # hits claimed per transaction
LISTENERS_PER_QUERY = 500
_LOCK_ID = 7_160_316  # the advisory lock of the rollup (any constant the service owns)

T = TypeVar("T")


@dataclass
class RollupReport:
    """What a rollup did: hits read, downloads counted, hits of deleted episodes dropped."""

    hits: int = 0
    downloads: int = 0
    orphaned: int = 0


@dataclass
class PurgeReport:
    """What the retention purge removed."""

    hits: int = 0
    keys: int = 0


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for at in range(0, len(items), size):
        yield items[at : at + size]


def _lock(session: Session) -> None:
    """Hold the rollup lock until this transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    else:  # SQLite: a first write takes the database's one write lock
        session.execute(delete(DownloadHit).where(false()))


def _is_download(rows: Sequence[Any]) -> bool:
    by_file: dict[int, list[rules.Span]] = defaultdict(list)
    for row in rows:
        by_file[row.needed].append(rules.Span(row.byte_start, row.byte_count))
    return any(rules.is_download(spans, needed) for needed, spans in by_file.items())


def _add(session: Session, counted: Counter[tuple[int, int, date, str, str]]) -> None:
    """Add the counts to download_daily in one statement (insert or add to the row)."""
    if not counted:
        return
    values = [
        {"show_id": s, "episode_id": e, "day": d, "app": a, "country": c, "downloads": n}
        for (s, e, d, a, c), n in sorted(counted.items())
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(DownloadDaily)
    statement = statement.on_conflict_do_update(
        index_elements=["episode_id", "day", "app", "country"],
        set_={"downloads": DownloadDaily.__table__.c.downloads + statement.excluded.downloads},
    )
    session.execute(statement, values)


def _count(session: Session, claimed: Sequence[Any]) -> tuple[Counter[Any], int]:
    """Downloads the claimed hits complete, by (show, episode, day, app, country)."""
    claimed_ids = {row.id for row in claimed}
    touched: dict[tuple[int, date], set[str]] = defaultdict(set)
    per_pair = Counter((row.episode_id, row.day) for row in claimed)
    for row in claimed:
        touched[(row.episode_id, row.day)].add(row.listener)
    wanted = sorted({episode for episode, _ in touched})
    alive = set(session.scalars(select(Episode.id).where(Episode.id.in_(wanted))))
    counted: Counter[tuple[int, int, date, str, str]] = Counter()
    orphaned = 0
    for (episode_id, day), listeners in sorted(touched.items()):
        if episode_id not in alive:
            orphaned += per_pair[(episode_id, day)]
            continue
        for chunk in _chunks(sorted(listeners), LISTENERS_PER_QUERY):
            found = session.execute(
                select(DownloadHit.id, DownloadHit.listener, DownloadHit.show_id,
                       DownloadHit.app, DownloadHit.country, DownloadHit.byte_start,
                       DownloadHit.byte_count, DownloadHit.needed, DownloadHit.processed)
                .where(DownloadHit.episode_id == episode_id, DownloadHit.day == day,
                       DownloadHit.listener.in_(chunk))
                .order_by(DownloadHit.id)
            ).all()  # fmt: skip
            by_listener: dict[str, list[Any]] = defaultdict(list)
            for row in found:
                by_listener[row.listener].append(row)
            for rows in by_listener.values():
                before = [r for r in rows if r.processed]
                after = [r for r in rows if r.processed or r.id in claimed_ids]
                if after and _is_download(after) and not _is_download(before):
                    first = after[0]  # the listener's first request names app and country
                    counted[(first.show_id, episode_id, day, first.app, first.country)] += 1
    return counted, orphaned


def process(session: Session, now: datetime, batch: int = BATCH) -> RollupReport:
    """Count every pending hit into download_daily (committing per batch); what it did.

    Running it again, or twice at once, never counts a hit twice.
    """
    report = RollupReport()
    while True:
        _lock(session)
        claimed = session.execute(
            select(DownloadHit.id, DownloadHit.episode_id, DownloadHit.day,
                   DownloadHit.listener)
            .where(DownloadHit.processed == false())
            .order_by(DownloadHit.id)
            .limit(batch)
        ).all()  # fmt: skip
        if not claimed:
            keys.destroy_old(session, now)
            session.commit()
            return report
        counted, orphaned = _count(session, claimed)
        _add(session, counted)
        for chunk in _chunks([row.id for row in claimed], 1000):
            session.execute(
                update(DownloadHit).where(DownloadHit.id.in_(chunk)).values(processed=True)
            )
        session.commit()
        report.hits += len(claimed)
        report.downloads += sum(counted.values())
        report.orphaned += orphaned
        if len(claimed) < batch:
            keys.destroy_old(session, now)
            session.commit()
            return report


def pending(session: Session) -> bool:
    """True when some hit waits to be counted."""
    return bool(session.scalar(select(exists().where(DownloadHit.processed == false()))))


def purge(session: Session, now: datetime, retention_days: int) -> PurgeReport:
    """Count what is pending, then delete raw hits older than the retention and old keys."""
    process(session, now)
    oldest_kept = now.date() - timedelta(days=retention_days)
    result = session.execute(delete(DownloadHit).where(DownloadHit.day < oldest_kept))
    report = PurgeReport(hits=int(result.rowcount or 0))  # type: ignore[attr-defined]
    report.keys = keys.destroy_old(session, now)
    session.execute(
        delete(Job).where(
            Job.kind == ROLLUP_KIND,
            Job.state == JobState.DONE,
            Job.finished_at < now - DONE_ROLLUPS_KEPT,
        )
    )
    session.commit()
    return report
