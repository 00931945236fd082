"""Jobs in one process: the outbox, running, progress, failures, retries, cancelling."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from podcast.errors import ConflictError, PodcastError
from podcast.extensions import db
from podcast.jobs import (
    Job,
    JobContext,
    JobState,
    cancel_job,
    enqueue,
    handler,
    retry_job,
    run_queued,
)
from podcast.jobs.queue import get_queue
from podcast.jobs.runner import RETRY_BASE_SECONDS
from podcast.models import utcnow

CALLS: list[dict[str, Any]] = []


@handler("test.record")
def _record(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Idempotent: appends to a test list, which each test clears."""
    ctx.progress(50, "Half way through the test job.")
    CALLS.append(payload)
    return {"seen": payload}


@handler("test.fail")
def _fail(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Idempotent: changes nothing."""
    raise PodcastError(f"The receiver answered 500 on attempt {ctx.attempt}.")


@handler("test.crash")
def _crash(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Idempotent: changes nothing."""
    raise KeyError("a bug")


@handler("test.cancel_self")
def _cancel_self(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Idempotent: changes nothing but its own job's state."""
    from podcast.extensions import db as database

    cancel_job(database.session, ctx.job_id)
    for step in range(200):  # a long job reporting as it goes: the cancel is seen at a report
        ctx.progress(step / 2, "Still going?")
        time.sleep(0.01)
    CALLS.append({"ran past the cancel": True})


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()


def _job(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_committed_job_is_handed_to_the_queue_and_runs(app):
    job = enqueue(db.session, "test.record", {"episode": "Выборы"})
    assert job.state == JobState.QUEUED
    db.session.commit()
    job = _job(job.id)
    assert job.handed_at is not None
    assert get_queue(app).pending() == 1

    assert run_queued() == 1
    job = _job(job.id)
    assert CALLS == [{"episode": "Выборы"}]
    assert (job.state, job.progress, job.attempts) == (JobState.DONE, 100, 1)
    assert job.message == "Half way through the test job."
    assert job.result == {"seen": {"episode": "Выборы"}}
    assert job.started_at <= job.finished_at


def test_rolled_back_change_sends_nothing(app):
    enqueue(db.session, "test.record", {"n": 1})
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert db.session.scalars(select(Job)).all() == []
    assert get_queue(app).pending() == 0
    assert run_queued() == 0


def test_duplicate_message_runs_the_job_once(app):
    job = enqueue(db.session, "test.record", {"n": 1})
    db.session.commit()
    get_queue(app).send(job.id)  # as if the sweeper had handed it too
    from podcast.jobs.runner import execute

    assert execute(job.id) == "done"
    assert execute(job.id) == "skipped"
    assert len(CALLS) == 1


def test_failure_backs_off_and_the_last_attempt_keeps_its_error(app):
    job = enqueue(db.session, "test.fail", {}, max_attempts=3)
    db.session.commit()
    run_queued()
    job = _job(job.id)
    assert job.state == JobState.QUEUED
    assert job.error == "The receiver answered 500 on attempt 1."
    first_wait = job.available_at - job.finished_at if job.finished_at else None
    assert first_wait is None
    assert job.available_at >= utcnow() + timedelta(seconds=RETRY_BASE_SECONDS - 2)
    assert run_queued() == 0  # not due yet

    later = utcnow() + timedelta(hours=2)
    run_queued(now=later)
    job = _job(job.id)
    assert (job.state, job.attempts) == (JobState.FAILED, 3)
    assert job.error == "The receiver answered 500 on attempt 3."
    assert job.message == job.error
    assert job.finished_at is not None


def test_back_off_grows_between_attempts(app):
    job = enqueue(db.session, "test.fail", {}, max_attempts=4)
    db.session.commit()
    waits = []
    for _ in range(3):
        before = utcnow()
        run_queued(limit=1, now=utcnow() + timedelta(hours=3))
        waits.append((_job(job.id).available_at - before).total_seconds())
    assert waits[0] < waits[1] < waits[2]


def test_an_unexpected_exception_fails_the_attempt_with_a_sentence(app):
    job = enqueue(db.session, "test.crash", {}, max_attempts=1)
    db.session.commit()
    run_queued()
    job = _job(job.id)
    assert job.state == JobState.FAILED
    assert job.error == "It failed unexpectedly (KeyError); see the worker log."


def test_retry_queues_a_failed_job_again(app):
    job = enqueue(db.session, "test.fail", {}, max_attempts=1)
    db.session.commit()
    run_queued()
    retried = retry_job(db.session, job.id)
    assert retried.state == JobState.QUEUED
    assert retried.error  # the last error stays visible until it runs again
    assert _job(job.id).handed_at is not None
    run_queued()
    assert _job(job.id).attempts == 2
    with pytest.raises(ConflictError):
        retry_job(db.session, enqueue_and_commit("test.record").id)


def enqueue_and_commit(kind: str) -> Job:
    """A committed queued job."""
    job = enqueue(db.session, kind, {})
    db.session.commit()
    return job


def test_cancelled_queued_job_never_runs(app):
    job = enqueue_and_commit("test.record")
    cancel_job(db.session, job.id)
    assert run_queued() == 0
    assert _job(job.id).state == JobState.CANCELLED
    assert CALLS == []
    with pytest.raises(ConflictError):
        cancel_job(db.session, job.id)


def test_cancelled_running_job_stops_at_its_next_progress_report(app):
    job = enqueue_and_commit("test.cancel_self")
    run_queued()
    job = _job(job.id)
    assert job.state == JobState.CANCELLED
    assert CALLS == []


def test_dedupe_key_gives_back_the_existing_job(app):
    first = enqueue(db.session, "test.record", {}, dedupe_key="daily:2026-12-01")
    db.session.commit()
    again = enqueue(db.session, "test.record", {}, dedupe_key="daily:2026-12-01")
    assert again.id == first.id


def test_unknown_kind_and_bad_payload_are_refused_at_enqueue(app):
    with pytest.raises(ValueError, match="no-such-kind"):
        enqueue(db.session, "no-such-kind", {})
    with pytest.raises(TypeError):
        enqueue(db.session, "test.record", {"when": utcnow()})


def test_ping_reports_progress_and_its_result(app):
    job = enqueue_and_commit("ping")
    run_queued()
    job = _job(job.id)
    assert job.state == JobState.DONE
    assert job.message == "A worker answered after 0 s."
    assert job.result == {"seconds": 0.0, "attempt": 1}


def test_the_daily_check_is_queued_once_a_day_and_reports_what_it_found(app, storage):
    import io
    import os
    import time
    from pathlib import Path

    from podcast.jobs.builtin import STORAGE_CHECK, queue_daily_check

    key = "orphan/left-behind.mp3"
    storage.put(key, io.BytesIO(b"ID3 no row points here"), content_type="audio/mpeg")
    media = Path(app.config["PODCAST_STORAGE_URL"].removeprefix("file://"))
    two_hours_ago = time.time() - 7200
    os.utime(media / key, (two_hours_ago, two_hours_ago))
    today = utcnow()
    queue_daily_check(today)
    queue_daily_check(today)  # a second worker's scheduler on another host
    jobs = db.session.scalars(select(Job).where(Job.kind == STORAGE_CHECK)).all()
    assert len(jobs) == 1
    run_queued(now=utcnow())
    job = _job(jobs[0].id)
    assert job.state == JobState.DONE
    assert (job.result["fixed"], job.result["problems"]) == (True, 1)
    assert f"object without a row (removed): {key}" in job.result["lines"]
    assert job.message == "1 problem found and fixed."
    assert not (media / key).exists()
    queue_daily_check(today + timedelta(days=1))
    assert len(db.session.scalars(select(Job).where(Job.kind == STORAGE_CHECK)).all()) == 2


def test_jobs_status_says_how_the_queue_stands(app, runner):
    enqueue_and_commit("ping")
    failed = enqueue(db.session, "test.fail", {}, max_attempts=1)
    db.session.commit()
    run_queued(limit=1)
    run_queued()
    output = runner.invoke(args=["jobs", "status"]).output
    assert "jobs: 1 done, 1 failed" in output
    assert "not yet handed to the queue: 0" in output
    assert "running with an expired lease (worker lost): 0" in output
    assert "queue 'podcast' (PODCAST_QUEUE_URL): " in output
    assert failed.id


def test_the_workers_scheduler_queues_the_daily_check_at_its_time(app):
    from datetime import datetime

    from podcast.jobs.builtin import STORAGE_CHECK
    from podcast.jobs.registry import load_handlers

    load_handlers()  # as `podcast worker` does before it builds the queue
    huey = get_queue(app).huey

    def daily(moment: datetime) -> list:
        return [t for t in huey.read_periodic(moment) if t.name.endswith("podcast.daily_check")]

    assert daily(datetime(2026, 12, 2, 3, 16)) == []
    (due,) = daily(datetime(2026, 12, 2, 3, 17))
    huey.execute(due)
    db.session.expire_all()
    assert [job.kind for job in db.session.scalars(select(Job))] == [STORAGE_CHECK]


def test_the_queue_is_placed_by_its_settings(tmp_path):
    from podcast.config import load_settings
    from podcast.errors import ConfigError

    base = {"PODCAST_SECRET_KEY": "x"}
    assert f"sqlite:///{tmp_path / 'queue.db'}" == load_settings(tmp_path, base).QUEUE_URL
    redis = {**base, "PODCAST_REDIS_URL": "redis://cache:6379/2"}
    assert load_settings(tmp_path, redis).QUEUE_URL == "redis://cache:6379/2"
    both = {**redis, "PODCAST_QUEUE_URL": "sqlite:////var/lib/podcast/queue.db"}
    assert load_settings(tmp_path, both).QUEUE_URL == "sqlite:////var/lib/podcast/queue.db"
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, {**base, "PODCAST_QUEUE_URL": "amqp://rabbit/"})
    assert caught.value.message == (
        "PODCAST_QUEUE_URL='amqp://rabbit/' is not valid: "
        "it must be sqlite:///path/to/queue.db or a redis:// URL."
    )
