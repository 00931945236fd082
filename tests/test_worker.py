"""Real `podcast worker` processes: killed mid-job, shut down for a deploy, Redis lost and back."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from support.app import make_app, truncate_all
from support.worker import (
    TEST_LEASE_SECONDS,
    RedisServer,
    free_port,
    job_row,
    redis_answers,
    running_worker,
    unique_redis_queue,
    wait_for,
    worker_env,
)

from podcast.errors import ConfigError
from podcast.extensions import db
from podcast.jobs import JobState, cancel_job, enqueue
from podcast.jobs.queue import get_queue
from podcast.jobs.sweeper import LOST_MESSAGE

LONG_PING = {"seconds": 600, "steps": 6000}


@contextmanager
def _app(tmp_path: Path, postgres: str | None, queue_url: str) -> Iterator[Flask]:
    app = make_app(tmp_path, postgres, QUEUE_URL=queue_url, JOB_LEASE_SECONDS=TEST_LEASE_SECONDS)
    with app.app_context():
        if postgres is None:
            db.create_all()
        yield app
        db.session.remove()
        if postgres is not None:
            truncate_all()
        queue = app.extensions.get("podcast.queue")
        if queue is not None and queue_url.startswith("redis"):
            queue.huey.storage.flush_all()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "redis"])
def queue_app(request: pytest.FixtureRequest, tmp_path: Path, _postgres_schema: str | None):
    """The app with a real queue: Huey on SQLite, or on the shared Redis under its own name."""
    if request.param == "redis":
        if not redis_answers():
            pytest.skip("Redis does not answer on 127.0.0.1:6379")
        url = unique_redis_queue()
    else:
        url = f"sqlite:///{tmp_path / 'queue.db'}"
    with _app(tmp_path, _postgres_schema, url) as app:
        yield app


def _queued(kind: str, payload: dict, **options) -> int:
    job = enqueue(db.session, kind, payload, **options)
    db.session.commit()
    return job.id


def _running(job_id: int, attempt: int = 1):
    job = job_row(job_id)
    # "Waiting, step n of m.": the handler itself has reported, not only the claim.
    running = job.state == JobState.RUNNING and job.attempts == attempt
    running = running and job.message.startswith("Waiting")
    return job if running else None


def test_a_worker_killed_mid_job_is_noticed_and_its_jobs_retried_or_failed(queue_app, tmp_path):
    again = _queued("ping", LONG_PING, max_attempts=2)
    last_try = _queued("ping", LONG_PING, max_attempts=1)
    with running_worker(queue_app, tmp_path / "first.log", workers=2) as first:
        wait_for(lambda: _running(again) and _running(last_try), "both jobs to start")
        first.signal(signal.SIGKILL)
        first.process.wait(10)
    # Nothing finishes a job whose worker is gone: it is still "running".
    assert job_row(again).state == JobState.RUNNING

    with running_worker(queue_app, tmp_path / "second.log") as second:
        retried = wait_for(lambda: _running(again, attempt=2), "the lost job to run again")
        assert retried.error == LOST_MESSAGE
        failed = wait_for(
            lambda: (job := job_row(last_try)).state == JobState.FAILED and job,
            "the job on its last attempt to fail",
        )
        assert failed.error == LOST_MESSAGE
        assert failed.finished_at is not None
        cancel_job(db.session, again)
        assert second.process.poll() is None, second.output()


@pytest.mark.parametrize("queue_app", ["sqlite"], indirect=True)
def test_a_worker_stopped_for_a_deploy_puts_its_job_back_for_the_next(queue_app, tmp_path):
    job_id = _queued("ping", {"seconds": 2, "steps": 20}, max_attempts=1)
    with running_worker(queue_app, tmp_path / "old.log") as old:
        wait_for(lambda: _running(job_id), "the job to start")
        old.signal(signal.SIGTERM)
        assert old.process.wait(10) == 0, old.output()
    job = job_row(job_id)
    assert (job.state, job.attempts) == (JobState.QUEUED, 0)
    assert job.message == "A worker shut down while running it; it will run again."

    with running_worker(queue_app, tmp_path / "new.log"):
        done = wait_for(
            lambda: (row := job_row(job_id)).state == JobState.DONE and row, "the job to finish"
        )
    assert done.result == {"seconds": 2.0, "attempt": 1}


@pytest.mark.parametrize("variable", ["PODCAST_QUEUE_URL", "PODCAST_REDIS_URL"])
def test_an_unreachable_redis_is_named_by_its_setting(tmp_path, variable):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    setting = variable.removeprefix("PODCAST_")
    app = make_app(tmp_path, **{setting: dead})
    with pytest.raises(ConfigError) as caught:
        get_queue(app).check()
    assert caught.value.message.startswith(
        f"Cannot reach Redis for the job queue at {dead} ({variable}): "
    )
    assert caught.value.message.endswith("Start it, or correct the URL.")


def test_the_worker_will_not_start_without_its_redis(app, tmp_path):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    env = worker_env(app, PODCAST_REDIS_URL=dead)
    del env["PODCAST_QUEUE_URL"]
    command = [sys.executable, "-c", "from podcast.cli.main import main; main()", "worker"]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode != 0
    assert (
        finished.stderr.strip()
        .splitlines()[-1]
        .startswith(f"Error: Cannot reach Redis for the job queue at {dead} (PODCAST_REDIS_URL): ")
    )
    assert "Traceback" not in finished.stderr


def _publish(app: Flask, title: str):
    """Create the show and publish an episode through the real pipeline."""
    from support.data import SAMPLE_MP3, SHOW_SETTINGS

    from podcast.services.episode_input import parse_episode_input
    from podcast.services.episodes import Attachments, create_episode
    from podcast.services.shows import create_show
    from podcast.services.uploads import Upload

    show = create_show(db.session, dict(SHOW_SETTINGS), "https://podcast.example.org/feed.xml")
    data = parse_episode_input(
        {"title": title, "status": "published"}, partial=False, timezone=show.timezone
    )
    audio = Attachments(audio=Upload(SAMPLE_MP3.open("rb"), SAMPLE_MP3.name))
    storage = app.extensions["podcast.storage"]
    return create_episode(db.session, storage, show, data, audio, max_bytes=2**30)


def test_losing_redis_keeps_the_site_and_publishing_up_and_loses_no_job(tmp_path, _postgres_schema):
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        with _app(tmp_path, _postgres_schema, redis.url + "?queue=lost") as app:
            client = app.test_client()
            with running_worker(app, tmp_path / "worker.log") as worker:
                before = _queued("ping", {})
                wait_for(lambda: job_row(before).state == JobState.DONE, "a job while Redis is up")

                redis.stop()
                episode = _publish(app, "Выборы без выбора")
                during = _queued("ping", {"seconds": 0.1})
                assert job_row(during).handed_at is None  # the queue did not take it; it waits
                assert client.get("/").status_code == 200
                assert client.get("/feed.xml").status_code == 200
                page = client.get(f"/shows/majlis/episodes/{episode.slug}")
                assert page.status_code in (200, 301)

                redis.start()
                done = wait_for(
                    lambda: (row := job_row(during)).state == JobState.DONE and row,
                    "the waiting job to run once Redis is back",
                )
                assert done.handed_at is not None
                assert worker.process.poll() is None, worker.output()
            get_queue(app).huey.storage.flush_all()
    finally:
        redis.stop()
