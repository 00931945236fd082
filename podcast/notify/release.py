"""Scheduled releases: when a scheduled episode's time comes, announce it, exactly once.

No cron: every worker runs `announce_due` each minute (periodic work of the queue). Each due
episode is claimed by a conditional UPDATE (release_pending true -> false) in the same
transaction as its jobs, so two workers sweeping at once, or a sweep repeated after a crash,
announce it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from podcast.extensions import db
from podcast.jobs.registry import periodic
from podcast.models import Episode, EpisodeEvent
from podcast.notify.events import ping_hub, tell_webhooks
from podcast.services.queries import is_visible


def announce_due(session: Session, now: datetime) -> list[int]:
    """Enqueue `episode.published` for each scheduled episode whose time has come; their ids."""
    due = session.scalars(
        select(Episode)
        .where(Episode.release_pending.is_(True), is_visible(now))
        .order_by(Episode.publish_at, Episode.id)
    ).all()
    announced: list[int] = []
    shows: set[int] = set()
    for episode in due:
        result = session.execute(
            update(Episode)
            .where(Episode.id == episode.id, Episode.release_pending.is_(True))
            .values(release_pending=False)
            .execution_options(synchronize_session=False)
        )
        claimed = cast(CursorResult[Any], result).rowcount
        if not claimed:  # another sweep took it
            continue
        tell_webhooks(session, episode, EpisodeEvent.PUBLISHED, now)
        shows.add(episode.show_id)
        announced.append(episode.id)
    for show_id in sorted(shows):
        ping_hub(session, show_id)
    session.commit()
    return announced


@periodic("podcast.release_due", minute="*")
def release_due(now: datetime) -> None:
    """Each minute, on every worker: announce the scheduled episodes whose time has come."""
    announce_due(db.session, now)
