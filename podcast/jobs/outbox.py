"""The outbox: a job's row is written in the caller's transaction and handed to the queue after
it commits. A rolled-back change sends nothing; a row the queue could not take (Redis down) is
handed later by the sweeper, so no job is lost.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from flask import current_app, has_app_context
from sqlalchemy import CursorResult, event, select, update
from sqlalchemy.orm import Session

from podcast.errors import ConflictError, NotFoundError
from podcast.extensions import db
from podcast.jobs.queue import get_queue
from podcast.jobs.records import STATE_WORDS, Job, JobState, worded
from podcast.jobs.registry import get_handler
from podcast.models import utcnow
from podcast.wording import say

log = logging.getLogger(__name__)

_TO_HAND = "podcast.jobs.to_hand"
# After the queue failed to answer, this process stops trying for a while (the sweeper goes on),
# so a Redis that hangs does not slow every request that commits a job.
PAUSE_AFTER_FAILURE_SECONDS = 5.0
_paused_until = 0.0
_pause_lock = threading.Lock()


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    show_id: int | None = None,
    user_id: int | None = None,
    max_attempts: int = 5,
    dedupe_key: str | None = None,
) -> Job:
    """Add a queued job to the caller's transaction; it reaches the queue when that commits.

    With `dedupe_key`, an existing job with that key is returned instead of a new one (two
    transactions racing with one key: the second commit fails on the unique key).
    """
    if get_handler(kind) is None:
        raise ValueError(f"No handler is registered for jobs of kind {kind!r}.")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1.")
    json.dumps(payload)  # a payload the row cannot hold fails here, not in the worker
    if dedupe_key is not None:
        existing = session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        payload=payload,
        show_id=show_id,
        user_id=user_id,
        max_attempts=max_attempts,
        dedupe_key=dedupe_key,
        state=JobState.QUEUED,
        available_at=utcnow(),
    )
    session.add(job)
    return job


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context: Any) -> None:
    """Note the queued, unhanded jobs this flush wrote; they are handed after the commit."""
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Job) and obj.state == JobState.QUEUED and obj.handed_at is None:
            session.info.setdefault(_TO_HAND, set()).add(obj.id)


@event.listens_for(Session, "after_commit")
def _hand_after_commit(session: Session) -> None:
    """Hand the committed jobs to the queue; a failure leaves them to the sweeper."""
    ids = session.info.pop(_TO_HAND, None)
    if ids and has_app_context():
        hand(ids)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    """A rolled-back transaction's jobs never existed: send nothing."""
    session.info.pop(_TO_HAND, None)


def _paused() -> bool:
    return time.monotonic() < _paused_until


def _pause() -> None:
    global _paused_until
    with _pause_lock:
        _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS


def hand(ids: Iterable[int], *, force: bool = False) -> int:
    """Give these queued, unhanded jobs to the queue and mark them handed; returns how many.

    Never raises: when the queue does not answer the rows stay unhanded for the sweeper.
    A job handed twice runs once (the second message finds it no longer queued).
    """
    ids = sorted(set(ids))
    if not ids or (_paused() and not force):
        return 0
    handed: list[int] = []
    try:
        queue = get_queue(current_app)
        with db.engine.connect() as conn:
            rows = conn.execute(
                select(Job.id, Job.available_at).where(
                    Job.id.in_(ids), Job.state == JobState.QUEUED, Job.handed_at.is_(None)
                )
            ).all()
        for job_id, available_at in rows:
            queue.send(job_id, available_at)
            handed.append(job_id)
    except Exception:  # noqa: BLE001 - the outbox keeps the rows; the sweeper retries
        log.warning("The queue did not take jobs %s; the sweeper will", ids, exc_info=True)
        _pause()
    if handed:
        _mark_handed(handed)
    return len(handed)


def _mark_handed(ids: list[int]) -> None:
    try:
        with db.engine.begin() as conn:
            conn.execute(
                update(Job)
                .where(Job.id.in_(ids), Job.handed_at.is_(None))
                .values(handed_at=utcnow())
            )
    except Exception:  # noqa: BLE001 - unmarked rows are handed again: a harmless duplicate
        log.warning("Could not mark jobs %s handed", ids, exc_info=True)


def retry_job(session: Session, job_id: int, *, now: datetime | None = None) -> Job:
    """Queue a failed (or cancelled) job again with fresh attempts; it keeps its last error."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(say("There is no job %(id)s.", id=job_id))
    if job.state not in (JobState.FAILED, JobState.CANCELLED):
        raise ConflictError(say("Only a failed or cancelled job can be retried."))
    job.state = JobState.QUEUED
    job.max_attempts = job.attempts + max(job.max_attempts, 1)
    job.available_at = now or utcnow()
    job.handed_at = None
    job.finished_at = None
    job.progress = 0
    for name, value in worded(message=say("Queued again; waiting for a worker.")).items():
        setattr(job, name, value)
    session.commit()
    return job


def cancel_job(session: Session, job_id: int, *, now: datetime | None = None) -> Job:
    """Cancel a queued or running job; a running handler stops at its next progress report."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(say("There is no job %(id)s.", id=job_id))
    if job.state not in (JobState.QUEUED, JobState.RUNNING):
        raise ConflictError(
            say(
                "This job is %(state)s; only a queued or running job stops.",
                state=STATE_WORDS[job.state],
            )
        )
    statement = (
        update(Job)
        .where(Job.id == job_id, Job.state.in_((JobState.QUEUED, JobState.RUNNING)))
        .values(
            state=JobState.CANCELLED,
            finished_at=now or utcnow(),
            lease_until=None,
            claimed_by=None,
            **worded(message=say("Cancelled.")),
        )
    )
    # An UPDATE's result is a CursorResult, which counts the rows it changed.
    changed = cast(CursorResult[Any], session.execute(statement)).rowcount
    session.commit()
    session.refresh(job)
    if not changed:
        raise ConflictError(
            say("This job is %(state)s now; it was not cancelled.", state=STATE_WORDS[job.state])
        )
    return job
