"""What an episode change tells the world, enqueued inside the change's own transaction.

Webhooks hear about an episode's public face only: `published` when it enters the feed,
`updated` while it stays there, `unpublished` when it leaves (back to draft, or moved to a later
time) and `deleted`. Drafts come and go in silence. The WebSub hub is pinged whenever the feed's
content changed. The jobs are rows in the same transaction as the change (an outbox), so a
change that is rolled back sends nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast import current
from podcast.jobs import enqueue
from podcast.models import Episode, EpisodeEvent, EpisodeStatus, Webhook

WEBSUB_JOB = "websub.ping"
WEBHOOK_JOB = "webhook.deliver"


@dataclass(frozen=True)
class PublicFace:
    """Whether an episode is in the feed, and whether webhooks have been told it is."""

    in_feed: bool
    announced: bool


UNSEEN = PublicFace(in_feed=False, announced=False)  # a new episode


def public_face(episode: Episode, now: datetime) -> PublicFace:
    """The episode's public face before a change (take it before changing anything)."""
    in_feed = episode.id is not None and episode.is_public(now)
    # A scheduled episode past its time is in the feed but awaits the release sweep's word.
    return PublicFace(in_feed, in_feed and not episode.release_pending)


def snapshot(episode: Episode) -> dict[str, Any]:
    """What a deleted episode's event can still say about it."""
    return {"id": episode.id, "guid": episode.guid, "slug": episode.slug, "title": episode.title}


def _event(before: PublicFace, in_feed: bool, deleted: bool) -> EpisodeEvent | None:
    if in_feed:
        return EpisodeEvent.UPDATED if before.announced else EpisodeEvent.PUBLISHED
    if before.announced:
        return EpisodeEvent.DELETED if deleted else EpisodeEvent.UNPUBLISHED
    return None


def ping_hub(session: Session, show_id: int) -> None:
    """Enqueue a WebSub ping for the show's feed, when PODCAST_WEBSUB_HUB is set."""
    if current.settings().WEBSUB_HUB:
        enqueue(session, WEBSUB_JOB, {"show_id": show_id}, show_id=show_id)


def tell_webhooks(session: Session, episode: Episode, event: EpisodeEvent, now: datetime) -> None:
    """Enqueue one signed delivery of the event to each of the show's webhooks."""
    hooks = session.scalars(
        select(Webhook.id).where(Webhook.show_id == episode.show_id).order_by(Webhook.id)
    )
    for webhook_id in hooks:
        payload = {
            "webhook_id": webhook_id,
            "delivery_id": str(uuid.uuid4()),
            "event": event.value,
            "episode": snapshot(episode),
            "occurred_at": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
        enqueue(session, WEBHOOK_JOB, payload, show_id=episode.show_id)


def episode_changed(
    session: Session,
    episode: Episode,
    before: PublicFace,
    now: datetime,
    *,
    deleted: bool = False,
) -> EpisodeEvent | None:
    """Enqueue what the change tells the world; call it before the commit (before a delete).

    Also keeps `release_pending`: set while the episode waits for a future publish time.
    """
    session.flush()  # ids, and audio_id for is_public
    in_feed = not deleted and episode.is_public(now)
    episode.release_pending = (
        not deleted
        and episode.status == EpisodeStatus.SCHEDULED
        and episode.publish_at is not None
        and episode.publish_at > now
        and episode.audio_id is not None
    )
    if before.in_feed or in_feed:
        ping_hub(session, episode.show_id)
    event = _event(before, in_feed, deleted)
    if event is not None:
        tell_webhooks(session, episode, event, now)
    return event
