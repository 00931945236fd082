"""The queue: Huey on SQLite or Redis as PODCAST_QUEUE_URL says (the only module importing Huey).

Huey messages carry a job id and nothing else; the job's row says what to do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask
from huey import RedisHuey, SqliteHuey, crontab, signals
from huey.api import Huey
from huey.consumer import Consumer

from podcast.errors import ConfigError
from podcast.jobs.registry import PERIODIC, load_handlers
from podcast.models import utcnow

log = logging.getLogger(__name__)

QUEUE_NAME = "podcast"
EXTENSION_KEY = "podcast.queue"
REDIS_CONNECT_TIMEOUT = 2.0
REDIS_SOCKET_TIMEOUT = 10.0
_lock = threading.Lock()
# What the queue's tasks call, registered by the modules that own the work (the runner, the
# built-in jobs): the queue only carries messages and never imports them.
CALLBACKS: dict[str, Callable[..., object]] = {}
RUN, INTERRUPTED = "run", "interrupted"


_Callback = TypeVar("_Callback", bound=Callable[..., object])


def on(event: str) -> Callable[[_Callback], _Callback]:
    """Register what the queue calls for an event: RUN(job_id) or INTERRUPTED(job_id)."""

    def register(function: _Callback) -> _Callback:
        CALLBACKS[event] = function
        return function

    return register


def queue_variable(app: Flask) -> str:
    """The setting that placed the queue, for sentences: PODCAST_REDIS_URL or PODCAST_QUEUE_URL."""
    url = app.config["PODCAST_QUEUE_URL"]
    return (
        "PODCAST_REDIS_URL" if url == app.config.get("PODCAST_REDIS_URL") else ("PODCAST_QUEUE_URL")
    )


def _redis_location(url: str) -> tuple[str, str]:
    """(the URL for redis-py, the queue name): `?queue=NAME` picks a queue other than podcast."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    name = next((value for key, value in query if key == "queue"), QUEUE_NAME)
    rest = urlencode([(key, value) for key, value in query if key != "queue"])
    return urlunsplit(parts._replace(query=rest)), name


def _build_huey(url: str) -> Huey:
    if url.startswith("sqlite:///"):
        # As SQLAlchemy reads it: sqlite:///relative/path, sqlite:////absolute/path.
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(path), results=False, utc=True, timeout=10)
    from redis import ConnectionPool

    redis_url, name = _redis_location(url)
    pool = ConnectionPool.from_url(
        redis_url,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
        socket_timeout=REDIS_SOCKET_TIMEOUT,
        health_check_interval=30,
    )
    return RedisHuey(name, connection_pool=pool, results=False, utc=True, blocking=True)


class Queue:
    """The app's Huey, with the one task that runs jobs and the registered periodic work."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.url = app.config["PODCAST_QUEUE_URL"]
        self.variable = queue_variable(app)
        self.huey = _build_huey(self.url)
        self._run_job = self.huey.task(name="podcast.run_job")(self._run_job_task)
        load_handlers()  # which also registers the periodic work
        for work in PERIODIC.values():
            self.huey.periodic_task(crontab(**work.schedule), name=work.name)(
                self._periodic(work.run)
            )
        self.huey.signal(signals.SIGNAL_INTERRUPTED)(self._interrupted)

    def _run_job_task(self, job_id: int) -> None:
        with self.app.app_context():
            CALLBACKS[RUN](job_id)

    def _periodic(self, run: Callable[[datetime], None]) -> Callable[[], None]:
        def task() -> None:
            with self.app.app_context():
                run(utcnow())

        return task

    def _interrupted(self, signal: str, task: Any, *args: Any, **kwargs: Any) -> None:
        """A worker stopping now (SIGTERM) puts its running jobs back instead of losing them."""
        if task.name == "podcast.run_job" and task.args and INTERRUPTED in CALLBACKS:
            with self.app.app_context():
                CALLBACKS[INTERRUPTED](int(task.args[0]))

    def send(self, job_id: int, available_at: datetime | None = None) -> None:
        """Put a message for this job on the queue (scheduled when it is not yet due)."""
        now = utcnow()
        if available_at is not None and available_at > now + timedelta(seconds=0.5):
            self._run_job.schedule(args=(job_id,), eta=available_at)
        else:
            self._run_job(job_id)

    def check(self) -> None:
        """Raise ConfigError naming the setting when the queue does not answer."""
        try:
            self.huey.pending_count()
        except Exception as exc:  # noqa: BLE001 - any failure gets the same sentence
            reason = str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else ""
            what = (
                "Redis for the job queue"
                if self.url.startswith(("redis", "unix"))
                else ("the job queue")
            )
            raise ConfigError(
                f"Cannot reach {what} at {_safe(self.url)} ({self.variable}): "
                f"{reason or type(exc).__name__}. Start it, or correct the URL."
            ) from None

    def pending(self) -> int:
        """Messages waiting in the queue (not those scheduled for later)."""
        return int(self.huey.pending_count())

    def consumer(self, workers: int) -> Consumer:
        """A Huey consumer running `workers` threads, with the periodic scheduler."""
        return self.huey.create_consumer(
            workers=workers,
            worker_type="thread",
            periodic=True,
            # Redis blocks on the queue; SQLite is polled, at most a second apart when idle.
            initial_delay=0.05,
            backoff=1.5,
            max_delay=1.0,
            scheduler_interval=1,
            check_worker_health=True,
        )


def _safe(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def get_queue(app: Flask) -> Queue:
    """The app's queue, built on first use (create_app does no I/O)."""
    queue = app.extensions.get(EXTENSION_KEY)
    if queue is None:
        with _lock:
            queue = app.extensions.get(EXTENSION_KEY)
            if queue is None:
                queue = app.extensions[EXTENSION_KEY] = Queue(app)
    return queue
