"""Real worker processes and a Redis of the test's own, for the queue's fault tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from podcast import PROJECT_ROOT
from podcast.extensions import db
from podcast.jobs import Job

SHARED_REDIS = "redis://127.0.0.1:6379/0"
# Short leases so a killed worker is noticed in seconds, not the production half-minute.
TEST_LEASE_SECONDS = 2


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unique_redis_queue(base: str = SHARED_REDIS) -> str:
    """A queue URL on Redis with a name no other test uses."""
    return f"{base}?queue=test-{uuid.uuid4().hex[:10]}"


def redis_answers(url: str = SHARED_REDIS) -> bool:
    """True when Redis answers at url."""
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll until predicate() is truthy (returns it); fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for: {what}")
        time.sleep(0.1)


def job_row(job_id: int) -> Job:
    """The job as the database has it now."""
    db.session.rollback()
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    db.session.commit()
    return job


def worker_env(app: Flask, **extra: str) -> dict[str, str]:
    """The environment that points a `podcast worker` at the test app's database and queue."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODCAST_")}
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        PODCAST_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        PODCAST_STORAGE_URL=app.config["PODCAST_STORAGE_URL"],
        PODCAST_QUEUE_URL=app.config["PODCAST_QUEUE_URL"],
        PODCAST_SECRET_KEY="test-secret",
        PODCAST_JOB_LEASE_SECONDS=str(app.config["PODCAST_JOB_LEASE_SECONDS"]),
    )
    env.update(extra)
    return env


class Worker:
    """A `podcast worker` process; its output goes to a log file the test can show."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 1) -> None:
        self.log = log
        command = [sys.executable, "-c", "from podcast.cli.main import main; main()"]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [*command, "worker", "--workers", str(workers)],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def output(self) -> str:
        """What the worker printed so far."""
        return self.log.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        """Send the worker a signal."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def stop(self) -> int | None:
        """Stop it for good (SIGKILL after a grace period); returns its exit code."""
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


@contextmanager
def running_worker(app: Flask, log: Path, workers: int = 1, **env: str) -> Iterator[Worker]:
    """A worker for the duration of the block; stopped (never orphaned) afterwards."""
    worker = Worker(worker_env(app, **env), log, workers)
    try:
        yield worker
    finally:
        worker.stop()


class RedisServer:
    """A redis-server of the test's own on a free port, which the test may stop and start."""

    def __init__(self, directory: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.port, self.directory = free_port(), directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its URL, database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers."""
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_for(lambda: redis_answers(self.url), "the test's redis-server to answer", 10)

    def stop(self) -> None:
        """Stop it (its data goes with it: no persistence)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None
