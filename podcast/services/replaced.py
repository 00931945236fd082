"""Replaced media: kept (and served) for a grace period, so that podcast apps holding the
previous feed still fetch the enclosure it names; `podcast check --fix` deletes it afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.models import MediaAsset, ReplacedMedia


def retire(
    session: Session,
    assets: list[MediaAsset],
    *,
    episode_id: int | None,
    now: datetime,
    grace: timedelta,
) -> list[str]:
    """Drop the replaced assets' rows in this transaction and keep their objects for `grace`.

    Returns the keys to delete once the transaction has committed: all of them without a grace
    period, none with one (they are recorded instead, so `podcast check` never takes them for
    orphans).
    """
    for asset in assets:
        session.delete(asset)
    if grace <= timedelta(0):
        return [asset.key for asset in assets]
    for asset in assets:
        session.add(
            ReplacedMedia(
                key=asset.key, episode_id=episode_id, replaced_at=now, delete_after=now + grace
            )
        )
    return []


def kept_keys(session: Session) -> set[str]:
    """Keys of every replaced object still recorded, in its grace period or past it."""
    return set(session.scalars(select(ReplacedMedia.key)))


def past_grace(session: Session, now: datetime) -> list[ReplacedMedia]:
    """Replaced objects whose grace period is over, oldest first."""
    statement = select(ReplacedMedia).where(ReplacedMedia.delete_after <= now)
    return list(session.scalars(statement.order_by(ReplacedMedia.delete_after)))
