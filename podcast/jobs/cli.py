"""`podcast jobs status` and `podcast jobs ping`: is the queue moving?"""

from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup

from podcast.extensions import db
from podcast.jobs.builtin import PING
from podcast.jobs.outbox import enqueue
from podcast.jobs.queue import get_queue
from podcast.jobs.records import Job, JobState
from podcast.models import utcnow
from podcast.services import queries

jobs_group = AppGroup("jobs", help="See and test the background job queue.")


@jobs_group.command("status")
def status_command() -> None:
    """Jobs per state, the oldest due job, rows the queue has not taken, and the queue itself."""
    now = utcnow()
    counts = queries.job_counts(db.session, now)
    states = ", ".join(f"{count} {state}" for state, count in sorted(counts["states"].items()))
    click.echo(f"jobs: {states or 'none'}")
    if counts["oldest_due"] is not None:
        age = (now - counts["oldest_due"]).total_seconds()
        click.echo(f"oldest due job has waited {age:.0f} s")
    click.echo(f"not yet handed to the queue: {counts['unhanded']}")
    click.echo(f"running with an expired lease (worker lost): {counts['lease_expired']}")
    queue = get_queue(current_app)
    try:
        queue.check()
        click.echo(f"queue {queue.huey.name!r} ({queue.variable}): {queue.pending()} message(s)")
    except Exception as exc:  # noqa: BLE001 - reported, not raised: status must always answer
        click.echo(getattr(exc, "message", str(exc)))
        sys.exit(1)


@jobs_group.command("ping")
@click.option("--timeout", default=30, show_default=True, help="Seconds to wait for a worker.")
def ping_command(timeout: int) -> None:
    """Queue a no-op job and wait for a worker to run it (exit 1 if none does in time)."""
    job = enqueue(db.session, PING, {})
    db.session.commit()
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        db.session.expire_all()
        row = db.session.get(Job, job.id)
        db.session.commit()
        if row is not None and row.state == JobState.DONE:
            click.echo(f"A worker ran job {job.id} in {time.monotonic() - started:.2f} s.")
            return
        time.sleep(0.1)
    click.echo(
        f"No worker ran job {job.id} within {timeout} s: is `podcast worker` running against "
        "the same queue and database?",
        err=True,
    )
    sys.exit(1)
