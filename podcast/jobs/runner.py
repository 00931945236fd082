"""Running one job in a worker: claim its row, run its handler, record how it went.

Huey only carries job ids; the row is the truth. A message for a job that is no longer
queued (a duplicate, or a job cancelled meanwhile) claims nothing and is dropped.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Engine, select, update

from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.jobs import queue
from podcast.jobs.outbox import hand
from podcast.jobs.records import MESSAGE_MAX, Job, JobState, worded, worded_result
from podcast.jobs.registry import get_handler
from podcast.models import utcnow
from podcast.wording import Sentence, say, sentences

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 10
RETRY_CAP_SECONDS = 60 * 60
# Progress is written at most this often (the last report always lands when the job ends).
PROGRESS_INTERVAL_SECONDS = 0.25


class JobCancelled(BaseException):  # noqa: N818 - like asyncio.CancelledError: not an error
    """Raised inside a handler whose job was cancelled or taken over; ends it quietly.

    A BaseException, so a handler's `except Exception` does not swallow it.
    """


def retry_delay(attempt: int) -> float:
    """Seconds to wait before the attempt after `attempt` (exponential, capped, 10% jitter)."""
    base = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0))
    return base * random.uniform(1.0, 1.1)


def lease_seconds() -> int:
    """How long a running job's worker may stay silent before the job is taken as lost."""
    return int(current_app.config["PODCAST_JOB_LEASE_SECONDS"])


def _sentence(text: str) -> str:
    # A Sentence that fits stays whole, so that its words are recorded for translation.
    if (
        isinstance(text, Sentence)
        and 0 < len(text) <= MESSAGE_MAX
        and " ".join(text.split()) == text
    ):
        return text
    text = " ".join(str(text).split()) or say("It failed.")
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 1] + "…"


def _owned(job_id: int, token: str) -> Any:
    return (Job.id == job_id) & (Job.state == JobState.RUNNING) & (Job.claimed_by == token)


@dataclass
class JobContext:
    """What a handler gets besides its payload: who asked, and a way to report progress."""

    job_id: int
    kind: str
    attempt: int
    max_attempts: int
    show_id: int | None
    user_id: int | None
    token: str
    engine: Engine
    lease: int
    _lost: threading.Event = field(default_factory=threading.Event)
    _last_write: float = 0.0
    _pending: tuple[int, str] | None = None

    @property
    def session(self) -> Any:
        """The database session for the handler's own work (commit it in steps)."""
        return db.session

    def progress(self, percent: float, message: str) -> None:
        """Record how far the job is (0-100) with a sentence; raises JobCancelled if cancelled.

        On SQLite, commit the handler's own writes before reporting: the report is written on
        another connection.
        """
        if self._lost.is_set():
            raise JobCancelled
        self._pending = (max(0, min(100, int(percent))), _sentence(message))
        now = time.monotonic()
        if now - self._last_write >= PROGRESS_INTERVAL_SECONDS:
            self._last_write = now
            self._write_progress()

    def check(self) -> None:
        """Raise JobCancelled when the job was cancelled or taken over (for long silent loops)."""
        if self._lost.is_set():
            raise JobCancelled

    def _write_progress(self) -> None:
        if self._pending is None:
            return
        percent, message = self._pending
        if not self._touch(progress=percent, **worded(message=message)):
            self._lost.set()
            raise JobCancelled

    def _touch(self, **values: Any) -> bool:
        """Renew the lease (and write `values`); False when the job is no longer ours."""
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    update(Job)
                    .where(_owned(self.job_id, self.token))
                    .values(
                        heartbeat_at=now, lease_until=now + timedelta(seconds=self.lease), **values
                    )
                )
        except Exception:  # noqa: BLE001 - a busy database must not kill the job; next beat retries
            log.warning("Could not record progress of job %s", self.job_id, exc_info=True)
            return True
        return result.rowcount == 1


class _Heartbeats:
    """One thread per process renewing the leases of the jobs it runs; a job past its time
    limit is no longer renewed (and so is taken back by a sweeper)."""

    def __init__(self) -> None:
        self._running: dict[str, tuple[JobContext, float]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._interval = 10.0

    def add(self, ctx: JobContext, timeout: int) -> None:
        """Renew this job's lease until `remove` (or its time limit)."""
        with self._lock:
            self._running[ctx.token] = (ctx, time.monotonic() + timeout)
            self._interval = min(self._interval, max(ctx.lease / 3, 0.2))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
                self._thread.start()

    def remove(self, ctx: JobContext) -> None:
        """Stop renewing this job's lease."""
        with self._lock:
            self._running.pop(ctx.token, None)

    def _run(self) -> None:
        while True:
            time.sleep(self._interval)
            with self._lock:
                running = list(self._running.values())
            for ctx, deadline in running:
                if time.monotonic() > deadline:
                    log.warning("Job %s ran past its time limit; no longer renewed", ctx.job_id)
                    self.remove(ctx)
                elif not ctx._touch():
                    ctx._lost.set()
                    self.remove(ctx)


_heartbeats = _Heartbeats()


def new_token() -> str:
    """An id for one claim of a job by this worker thread (host, process, random part)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(engine: Engine, job_id: int, token: str, lease: int) -> Job | None:
    """Mark a queued job running under `token`; None when it is not queued (nothing to do)."""
    now = utcnow()
    with engine.begin() as conn:
        result = conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.QUEUED)
            .values(
                state=JobState.RUNNING,
                attempts=Job.attempts + 1,
                claimed_by=token,
                started_at=now,
                heartbeat_at=now,
                lease_until=now + timedelta(seconds=lease),
                finished_at=None,
                progress=0,
                **worded(message=say("Started.")),
            )
        )
        if result.rowcount != 1:
            return None
    return db.session.get(Job, job_id, populate_existing=True)


@queue.on(queue.RUN)
def execute(job_id: int) -> str:
    """Run the job with this id if it is queued; returns the state it ended in (or "skipped")."""
    engine, lease, token = db.engine, lease_seconds(), new_token()
    job = claim(engine, job_id, token, lease)
    if job is None:
        return "skipped"
    ctx = JobContext(
        job.id, job.kind, job.attempts, job.max_attempts, job.show_id, job.user_id,
        token, engine, lease,
    )  # fmt: skip
    # The claim wrote "Started."; a job that ends within the first interval writes only once more.
    ctx._last_write = time.monotonic()
    payload = dict(job.payload or {})
    db.session.commit()
    found = get_handler(job.kind)
    _heartbeats.add(ctx, found.timeout if found else 60)
    try:
        if found is None:
            raise PodcastError(
                say(
                    "This worker does not know jobs of kind %(kind)s; it may be older than"
                    " the web app: deploy the workers too.",
                    kind=repr(job.kind),
                )
            )
        result = found.run(ctx, payload)
        db.session.commit()
    except JobCancelled:
        db.session.rollback()
        return "cancelled"
    except PodcastError as exc:
        db.session.rollback()
        # A refusal of the job's input (a damaged master) fails the same way every time.
        return fail(ctx, exc.message, final=bool(getattr(exc, "final", False)))
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, the worker goes on
        db.session.rollback()
        log.exception("Job %s (%s) failed", job_id, ctx.kind)
        return fail(
            ctx,
            say(
                "It failed unexpectedly (%(error)s); see the worker log.",
                error=type(exc).__name__,
            ),
        )
    finally:
        _heartbeats.remove(ctx)
    try:
        json.dumps(result)
    except (TypeError, ValueError):
        return fail(ctx, say("It returned a result that cannot be stored as JSON."))
    return finish(ctx, result)


def finish(ctx: JobContext, result: dict[str, Any] | None) -> str:
    """Record success: done, 100 %, the result kept."""
    message = ctx._pending[1] if ctx._pending else say("Done.")
    with ctx.engine.begin() as conn:
        conn.execute(
            update(Job)
            .where(_owned(ctx.job_id, ctx.token))
            .values(
                state=JobState.DONE, progress=100, result=result,
                result_wording=worded_result(result), finished_at=utcnow(), lease_until=None,
                **worded(message=message, error=""),
            )
        )  # fmt: skip
    return JobState.DONE.value


def fail(ctx: JobContext, error: str, *, final: bool = False) -> str:
    """Record a failed attempt: queued again after a back-off, or failed on the last attempt
    (or at once when `final`: trying again would fail the same way)."""
    error, now = _sentence(error), utcnow()
    if ctx.attempt < ctx.max_attempts and not final:
        when = now + timedelta(seconds=retry_delay(ctx.attempt))
        values: dict[str, Any] = {
            "state": JobState.QUEUED, "available_at": when, "handed_at": None,
            **worded(message=_sentence(sentences(error, say(
                "Trying again at %(time)s UTC (attempt %(attempt)s of %(most)s).",
                time=f"{when:%H:%M:%S}", attempt=ctx.attempt + 1, most=ctx.max_attempts,
            )))),
        }  # fmt: skip
    else:
        values = {"state": JobState.FAILED, "finished_at": now, **worded(message=error)}
    with ctx.engine.begin() as conn:
        changed = conn.execute(
            update(Job)
            .where(_owned(ctx.job_id, ctx.token))
            .values(lease_until=None, claimed_by=None, **worded(error=error), **values)
        ).rowcount
    if changed and values["state"] == JobState.QUEUED:
        hand([ctx.job_id])
    return values["state"].value


@queue.on(queue.INTERRUPTED)
def release(job_id: int) -> None:
    """Put back a job whose worker is shutting down (a deploy): it runs again, attempt refunded."""
    with db.engine.begin() as conn:
        conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.RUNNING)
            .values(
                state=JobState.QUEUED, attempts=Job.attempts - 1, claimed_by=None,
                lease_until=None, handed_at=None, available_at=utcnow(),
                **worded(message=say("A worker shut down while running it; it will run again.")),
            )
        )  # fmt: skip


def run_queued(limit: int | None = None, now: datetime | None = None) -> int:
    """Run queued jobs that are due, here and now, oldest first; returns how many ran.

    For tests and one-off maintenance: the worker does this through the queue.
    """
    count = 0
    while limit is None or count < limit:
        statement = (
            select(Job.id)
            .where(Job.state == JobState.QUEUED, Job.available_at <= (now or utcnow()))
            .order_by(Job.id)
            .limit(1)
        )
        job_id = db.session.scalar(statement)
        db.session.commit()
        if job_id is None:
            break
        execute(job_id)
        count += 1
    return count
