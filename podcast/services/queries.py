"""Reads that several pages, the feed and the API share; all visibility rules live here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from podcast.extensions import db
from podcast.jobs.records import Job, JobState
from podcast.models import ApiToken, Episode, EpisodeGuest, EpisodeStatus, Guest, Show, utcnow

VISIBLE_STATUSES = (EpisodeStatus.PUBLISHED, EpisodeStatus.SCHEDULED)


def is_visible(now: datetime) -> ColumnElement[bool]:
    """The SQL condition for an episode the public may see at `now`."""
    return and_(
        Episode.status.in_(VISIBLE_STATUSES),
        Episode.publish_at.is_not(None),
        Episode.publish_at <= now,
        Episode.audio_id.is_not(None),
    )


def current_show(session: Session) -> Show | None:
    """The show this service publishes (the first one), its artwork loaded; None before setup."""
    return session.scalar(select(Show).options(joinedload(Show.artwork)).order_by(Show.id).limit(1))


def public_episodes(now: datetime | None = None) -> Select[Episode]:
    """Visible episodes, newest first, with audio, image and guests loaded in bulk."""
    now = now or utcnow()
    return (
        select(Episode)
        .where(is_visible(now))
        .options(
            selectinload(Episode.audio),
            selectinload(Episode.image),
            selectinload(Episode.transcript),
            selectinload(Episode.appearances)
            .joinedload(EpisodeGuest.guest)
            .joinedload(Guest.photo),
        )
        .order_by(Episode.publish_at.desc(), Episode.id.desc())
    )


def _contains(column: Any, word: str) -> ColumnElement[bool]:
    # autoescape: "%", "_" and the escape character match only themselves, on every database
    # (SQLite's LIKE has no default escape character, PostgreSQL's is the backslash).
    return func.lower(column).contains(word, autoescape=True)


def search_public_episodes(query: str, now: datetime | None = None) -> Select[Episode]:
    """Visible episodes whose title, summary, notes or guest names contain the words of `query`."""
    statement = public_episodes(now)
    for word in query.split()[:8]:
        word = word.lower()
        guest_match = select(EpisodeGuest.episode_id).join(Guest).where(_contains(Guest.name, word))
        statement = statement.where(
            or_(
                _contains(Episode.title, word),
                _contains(Episode.summary, word),
                _contains(Episode.description, word),
                Episode.id.in_(guest_match),
            )
        )
    return statement


def numbering_twins(session: Session, episode: Episode) -> list[Episode]:
    """Other episodes of the show with the same season and episode number (none unnumbered)."""
    if episode.number is None:
        return []
    same_season = (
        Episode.season.is_(None) if episode.season is None else Episode.season == episode.season
    )
    return list(
        session.scalars(
            select(Episode)
            .where(
                Episode.show_id == episode.show_id,
                Episode.id != episode.id,
                Episode.number == episode.number,
                same_season,
            )
            .order_by(Episode.id)
        )
    )


def public_episode(slug: str, now: datetime | None = None) -> Episode | None:
    """The visible episode with this slug, or None (drafts and future episodes are None)."""
    return db.session.scalar(public_episodes(now).where(Episode.slug == slug))


def next_scheduled_at(now: datetime | None = None) -> datetime | None:
    """When the next scheduled episode becomes public (caches must expire then)."""
    now = now or utcnow()
    return db.session.scalar(
        select(func.min(Episode.publish_at)).where(
            Episode.status.in_(VISIBLE_STATUSES),
            Episode.publish_at > now,
            Episode.audio_id.is_not(None),
        )
    )


def jobs_page(
    session: Session,
    *,
    show_id: int | None = None,
    state: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[Job]:
    """Jobs newest first (ids below `before`), filtered by show and state; limit + 1 rows."""
    statement = select(Job).order_by(Job.id.desc()).limit(limit + 1)
    if show_id is not None:
        statement = statement.where(Job.show_id == show_id)
    if state is not None:
        statement = statement.where(Job.state == state)
    if before is not None:
        statement = statement.where(Job.id < before)
    return list(session.scalars(statement))


def get_job(session: Session, job_id: int) -> Job | None:
    """The job with this id, or None."""
    return session.get(Job, job_id)


def shows_by_id(session: Session) -> dict[int, Show]:
    """Every show by id (for labels and filters)."""
    return {show.id: show for show in session.scalars(select(Show).order_by(Show.id))}


def job_counts(session: Session, now: datetime) -> dict[str, Any]:
    """How the queue stands: jobs per state, the oldest due job waiting, rows not yet handed."""
    by_state = dict(session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
    waiting = (Job.state == JobState.QUEUED) & (Job.available_at <= now)
    return {
        "states": {str(state): count for state, count in by_state.items()},
        "oldest_due": session.scalar(select(func.min(Job.available_at)).where(waiting)),
        "unhanded": session.scalar(select(func.count()).where(waiting, Job.handed_at.is_(None))),
        "lease_expired": session.scalar(
            select(func.count()).where(Job.state == JobState.RUNNING, Job.lease_until < now)
        ),
    }


def api_tokens(
    user_id: int | None = None, *, before: int | None = None, limit: int | None = None
) -> list[ApiToken]:
    """API tokens, newest first, with their owners: one user's, or everyone's with None."""
    statement = select(ApiToken).options(joinedload(ApiToken.user))
    if user_id is not None:
        statement = statement.where(ApiToken.user_id == user_id)
    if before is not None:
        statement = statement.where(ApiToken.id < before)
    return list(db.session.scalars(statement.order_by(ApiToken.id.desc()).limit(limit)))
