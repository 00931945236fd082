"""The analytics job kinds and their schedule: rollups each minute while hits wait, the
retention purge each night (every worker schedules them; dedupe keys make each one job)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.exc import IntegrityError

from podcast.analytics import rollup
from podcast.extensions import db
from podcast.jobs.outbox import enqueue
from podcast.jobs.registry import handler, periodic
from podcast.jobs.runner import JobContext
from podcast.models import utcnow
from podcast.wording import say, say_plural

ROLLUP = rollup.ROLLUP_KIND
PURGE = "analytics_purge"
NIGHTLY_PURGE = {"hour": "0", "minute": "23"}


@handler(ROLLUP, label="Download counts", timeout=3600)
def rollup_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Count the pending raw hits into download_daily.

    Idempotent: each hit is marked processed in the transaction that counts it.
    """
    report = rollup.process(ctx.session, utcnow())
    ctx.progress(
        100,
        say_plural(
            "%(count)s download counted.", "%(count)s downloads counted.", report.downloads,
            count=report.downloads,
        ),
    )  # fmt: skip
    return {"hits": report.hits, "downloads": report.downloads, "orphaned": report.orphaned}


@handler(PURGE, label="Download data clean-up", timeout=3600)
def purge_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Count what is pending, then delete raw hits past the retention and past days' keys.

    Idempotent: deleting what is already gone deletes nothing.
    """
    days = int(current_app.config["PODCAST_ANALYTICS_RETENTION_DAYS"])
    report = rollup.purge(ctx.session, utcnow(), days)
    ctx.progress(100, say("Raw download data older than %(days)s days deleted.", days=days))
    return {"hits": report.hits, "keys": report.keys}


def _enqueue_once(kind: str, dedupe_key: str) -> None:
    enqueue(db.session, kind, {}, dedupe_key=dedupe_key, max_attempts=3)
    try:
        db.session.commit()
    except IntegrityError:  # another worker queued it first
        db.session.rollback()


@periodic("podcast.analytics_rollup", minute="*")
def _each_minute(now: datetime) -> None:
    """Every minute with hits waiting: one rollup job, so counts show within the minute."""
    if rollup.pending(db.session):
        _enqueue_once(ROLLUP, f"{ROLLUP}:{now:%Y-%m-%dT%H:%M}")
    else:
        db.session.rollback()


@periodic("podcast.analytics_purge", **NIGHTLY_PURGE)
def _nightly(now: datetime) -> None:
    """Every night: the retention purge (and yesterday's key is gone by then)."""
    _enqueue_once(PURGE, f"{PURGE}:{now:%Y-%m-%d}")
