"""The import as a job: `feed_import` runs (or resumes) one recorded import with progress."""

from __future__ import annotations

from typing import Any

from podcast.errors import ConflictError, NotFoundError, ValidationError
from podcast.imports import fetcher as fetching
from podcast.imports.apply import run_import
from podcast.imports.media import ImportOptions
from podcast.imports.records import FeedImport, ImportState
from podcast.imports.start import KIND
from podcast.jobs.registry import handler
from podcast.jobs.runner import JobContext
from podcast.models import Show, User, utcnow
from podcast.services.shows import Actor
from podcast.wording import say

CONCURRENCY = 4


def options() -> ImportOptions:
    """The import's limits from the settings (PODCAST_IMPORT_ALLOW_PRIVATE, the upload limit)."""
    from podcast import current

    settings = current.settings()
    return ImportOptions(
        allow_private=bool(settings.IMPORT_ALLOW_PRIVATE),
        max_media_bytes=current.max_upload_bytes(),
        concurrency=CONCURRENCY,
    )


@handler(KIND, label="Feed import", timeout=24 * 3600)
def feed_import_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Import the recorded feed into its show, reporting "Downloading episode 3 of 40, ...".

    Idempotent: each source episode's state is kept in the database (feed_import_item), so a
    second run (a retry, a worker lost mid-way) skips what is done and resumes the rest.
    """
    from podcast import current

    session = ctx.session
    feed_import = session.get(FeedImport, int(payload.get("import_id", 0)))
    if feed_import is None:
        raise NotFoundError(say("This import's record was deleted."))
    user = session.get(User, feed_import.user_id) if feed_import.user_id else None
    actor = Actor(user.id, user.email, True, "admin") if user else None
    try:
        report = run_import(
            session, current.storage(), feed_import, fetcher=fetching.default_fetcher(),
            options=options(), handle=payload.get("handle") or None, actor=actor,
            progress=ctx.progress,
        )  # fmt: skip
    except (ConflictError, ValidationError) as exc:
        # A locked feed, or not a feed: trying again would say the same.
        session.rollback()
        ctx.max_attempts = ctx.attempt
        _failed(session, feed_import.id, exc.message)
        raise
    except Exception as exc:
        session.rollback()
        _failed(session, feed_import.id, getattr(exc, "message", type(exc).__name__))
        raise
    show = session.get(Show, feed_import.show_id)
    return {
        "import_id": feed_import.id,
        "show": show.handle if show else None,
        **report.counts(),
        "lines": [report.summary(), *report.lines],
    }


def _failed(session: Any, import_id: int, message: str) -> None:
    feed_import = session.get(FeedImport, import_id)
    if feed_import is not None:
        feed_import.state = ImportState.FAILED
        feed_import.error = str(message)
        feed_import.finished_at = utcnow()
        session.commit()
