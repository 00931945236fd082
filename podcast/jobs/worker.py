"""`podcast worker`: the Huey consumer with the app, plus the sweeper beside it."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from podcast.jobs.queue import get_queue
from podcast.jobs.registry import load_handlers
from podcast.jobs.sweeper import Sweeper


@click.command("worker")
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64),
    help="Jobs run at once by this process (threads).",
)  # fmt: skip
@with_appcontext
def worker_command(workers: int) -> None:
    """Run background jobs until stopped (SIGINT: finish running jobs; SIGTERM: put them back)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # LocalProxy's own method; the checker sees only the Flask app it stands for.
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy API
    load_handlers()
    queue = get_queue(app)
    queue.check()
    lease = int(app.config["PODCAST_JOB_LEASE_SECONDS"])
    sweeper = Sweeper(app, interval=max(lease / 3, 0.5))
    sweeper.start()
    click.echo(f"Worker: {workers} thread(s) on {queue.variable} queue {queue.huey.name!r}.")
    try:
        queue.consumer(workers).run()
    finally:
        sweeper.stopped.set()
