"""The service's own jobs: a ping that checks the workers, the daily storage check, and the
rewrite of a published MP3's tags."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from podcast.errors import ValidationError
from podcast.extensions import db
from podcast.jobs.outbox import enqueue
from podcast.jobs.registry import handler, periodic
from podcast.jobs.runner import JobContext
from podcast.services.tagging import AUDIO_TAGS
from podcast.wording import say, say_plural

PING = "ping"
AUDIO_PROCESS = "audio_process"  # podcast.services.processing.PROCESS_JOB
STORAGE_CHECK = "storage_check"
PING_MAX_SECONDS = 3600
# Objects younger than this are uploads in flight, not orphans (as `podcast check`).
CHECK_OLDER_THAN_SECONDS = 3600
# The daily storage check is queued at this UTC time.
DAILY_CHECK = {"hour": "3", "minute": "17"}


@handler(PING, label="Worker check")
def ping(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Wait `seconds` (default 0) in `steps`, reporting progress: shows the workers work.

    Idempotent: it changes nothing, so running it twice is the same as once.
    """
    try:
        seconds = float(payload.get("seconds", 0))
        steps = max(1, min(int(payload.get("steps", 10)), 1000))
    except (TypeError, ValueError):
        raise ValidationError(say("seconds and steps must be numbers.")) from None
    if not 0 <= seconds <= PING_MAX_SECONDS:
        raise ValidationError(say("seconds must be from 0 to %(most)s.", most=PING_MAX_SECONDS))
    for step in range(steps if seconds else 0):
        ctx.progress(
            100 * step / steps,
            say("Waiting, step %(step)s of %(steps)s.", step=step + 1, steps=steps),
        )
        time.sleep(seconds / steps)
    ctx.progress(100, say("A worker answered after %(seconds)s s.", seconds=f"{seconds:g}"))
    return {"seconds": seconds, "attempt": ctx.attempt}


@handler(STORAGE_CHECK, label="Storage check", timeout=6 * 3600)
def storage_check(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """`podcast check` as a job: compare storage with the database, fix when asked, report.

    Idempotent: it removes only what has no row (or no object) at the time it looks, so a
    second run finds nothing left to fix.
    """
    from podcast import current
    from podcast.services.maintenance import check_storage

    fix = bool(payload.get("fix", False))
    older_than = int(payload.get("older_than", CHECK_OLDER_THAN_SECONDS))
    ctx.progress(5, say("Comparing storage with the database."))
    result = check_storage(ctx.session, current.storage(), fix=fix, older_than=older_than)
    count = result.problems
    if not count:
        summary = say("Storage and database agree.")
    elif fix:
        summary = say_plural(
            "%(count)s problem found and fixed.", "%(count)s problems found and fixed.", count,
            count=count,
        )  # fmt: skip
    else:
        summary = say_plural(
            "%(count)s problem found.", "%(count)s problems found.", count, count=count
        )
    ctx.progress(100, summary)
    return {"problems": result.problems, "fixed": fix, "lines": result.lines()}


@handler(AUDIO_TAGS, label=say("Audio tags"))
def audio_tags(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Write the episode's title, chapters, art... into a new copy of its MP3 and swap it in.

    Idempotent: it compares what the file carries with what it should and writes only when
    they differ, so a second run (or a job queued by an earlier edit) changes nothing.
    """
    from podcast import current
    from podcast.services.tagging import retag
    from podcast.views.urls import episode_url

    try:
        episode_id = int(payload["episode_id"])
    except (KeyError, TypeError, ValueError):
        raise ValidationError(say("The job names no episode.")) from None
    ctx.progress(5, say("Writing the episode's tags into its MP3."))
    result = retag(
        ctx.session,
        current.storage(),
        episode_id,
        link_for=episode_url,
        grace=current.replaced_media_grace(),
    )
    ctx.progress(100, say("The MP3's tags are up to date."))
    return result


@handler(AUDIO_PROCESS, label=say("Audio processing"), timeout=4 * 3600)
def audio_process(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Measure an episode's upload, or level and encode its master into the published MP3.

    Idempotent: the MP3 is made again from the stored source; it replaces the episode's audio
    only while the episode still waits for this job (podcast.services.processing_run).
    """
    from podcast import current
    from podcast.errors import AudioError
    from podcast.services.processing_run import run_job
    from podcast.views.urls import episode_url

    try:
        return run_job(
            ctx.session, current.storage(), ctx.job_id, payload, ctx.progress,
            grace=current.replaced_media_grace(), link_for=episode_url,
        )  # fmt: skip
    except AudioError as exc:
        exc.final = True  # type: ignore[attr-defined]
        raise


def queue_daily_check(now: datetime) -> None:
    """Queue today's storage check with fixes, once however many workers ask (Huey periodic)."""
    enqueue(db.session, STORAGE_CHECK, {"fix": True}, dedupe_key=f"{STORAGE_CHECK}:{now:%Y-%m-%d}")
    try:
        db.session.commit()
    except IntegrityError:  # another host queued it first
        db.session.rollback()


@periodic("podcast.daily_check", **DAILY_CHECK)
def _daily(now: datetime) -> None:
    """Every day: queue the storage check (once, whichever worker's scheduler is first)."""
    queue_daily_check(now)
