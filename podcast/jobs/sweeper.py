"""The sweeper: every worker runs it a few times a lease. It takes back running jobs whose
worker went silent (killed, host lost) and hands the queue the rows it has not taken yet.

A plain thread, not a Huey periodic task, so it goes on while Redis is down and hands the
waiting rows as soon as Redis answers again. Every step is a conditional update: several
workers sweeping at once do each thing once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select, update

from podcast.extensions import db
from podcast.jobs.outbox import hand
from podcast.jobs.queue import get_queue
from podcast.jobs.records import Job, JobState, worded
from podcast.models import utcnow
from podcast.wording import say, sentences

log = logging.getLogger(__name__)

LOST_MESSAGE = say(
    "The worker running it stopped reporting (it was stopped, its host was lost, "
    "or the job ran past its time limit)."
)
# A row committed this recently is being handed by whoever committed it.
HAND_GRACE_SECONDS = 2
# Handed, due this long ago, still queued, and the queue is empty: the message was lost
# (e.g. a Redis restarted without persistence). Hand it again.
LOST_MESSAGE_SECONDS = 60
BATCH = 500


@dataclass
class SweepReport:
    """What one sweep did."""

    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    handed: int = 0


def reap(now: datetime) -> SweepReport:
    """Running jobs past their lease: queued again at once, or failed on their last attempt."""
    report = SweepReport()
    rows = db.session.execute(
        select(Job.id, Job.attempts, Job.max_attempts)
        .where(Job.state == JobState.RUNNING, Job.lease_until < now)
        .limit(BATCH)
    ).all()
    db.session.commit()
    for job_id, attempts, max_attempts in rows:
        last = attempts >= max_attempts
        values = (
            {"state": JobState.FAILED, "finished_at": now, **worded(message=LOST_MESSAGE)}
            if last
            else {
                "state": JobState.QUEUED, "available_at": now, "handed_at": None,
                **worded(message=sentences(LOST_MESSAGE, say(
                    "Running it again (attempt %(attempt)s of %(most)s).",
                    attempt=attempts + 1, most=max_attempts,
                ))),
            }
        )  # fmt: skip
        with db.engine.begin() as conn:
            changed = conn.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == JobState.RUNNING, Job.lease_until < now)
                .values(lease_until=None, claimed_by=None, **worded(error=LOST_MESSAGE), **values)
            ).rowcount
        if changed:
            (report.failed if last else report.retried).append(job_id)
            log.warning("Job %s lost its worker; %s", job_id, "failed" if last else "queued again")
    return report


def _unhanded(now: datetime) -> list[int]:
    grace = now - timedelta(seconds=HAND_GRACE_SECONDS)
    ids = db.session.scalars(
        select(Job.id)
        .where(Job.state == JobState.QUEUED, Job.handed_at.is_(None), Job.created_at <= grace)
        .order_by(Job.id)
        .limit(BATCH)
    ).all()
    db.session.commit()
    return list(ids)


def _lost_messages(app: Flask, now: datetime) -> list[int]:
    cutoff = now - timedelta(seconds=LOST_MESSAGE_SECONDS)
    ids = list(
        db.session.scalars(
            select(Job.id)
            .where(Job.state == JobState.QUEUED, Job.handed_at < cutoff, Job.available_at < cutoff)
            .limit(BATCH)
        )
    )
    db.session.commit()
    if not ids or get_queue(app).pending() > 0:
        return []
    with db.engine.begin() as conn:
        conn.execute(update(Job).where(Job.id.in_(ids)).values(handed_at=None))
    return ids


def sweep(app: Flask, now: datetime | None = None) -> SweepReport:
    """One pass: reap lost jobs, then hand every row the queue has not taken."""
    now = now or utcnow()
    with app.app_context():
        report = reap(now)
        ids = report.retried + _unhanded(now)
        try:
            ids += _lost_messages(app, now)
        except Exception:  # noqa: BLE001 - the queue is down: the rows wait for the next pass
            log.warning("The queue does not answer; jobs wait", exc_info=True)
        report.handed = hand(ids, force=True) if ids else 0
    return report


class Sweeper(threading.Thread):
    """Runs `sweep` every `interval` seconds until stopped; an error skips one pass."""

    def __init__(self, app: Flask, interval: float) -> None:
        super().__init__(name="sweeper", daemon=True)
        self.app, self.interval = app, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        """Sweep until stopped."""
        while not self.stopped.is_set():
            try:
                sweep(self.app)
            except Exception:  # noqa: BLE001 - e.g. the database is restarting; try next pass
                log.exception("Sweep failed")
            self.stopped.wait(self.interval)
