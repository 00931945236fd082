"""Reads that several pages, the feed and the API share; all visibility rules live here."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, joinedload, selectinload

from podcast.extensions import db
from podcast.jobs.records import Job, JobState
from podcast.models import (
    ApiToken,
    Episode,
    EpisodeGuest,
    EpisodeStatus,
    Guest,
    Show,
    ShowChange,
    ShowMember,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from podcast.services import search
from podcast.services.handles import looks_like_handle

VISIBLE_STATUSES = (EpisodeStatus.PUBLISHED, EpisodeStatus.SCHEDULED)


def _releasable() -> ColumnElement[bool]:
    # is_visible without the date, wrapped in a CASE so that no planner takes the status
    # index for it: nearly every episode of every show matches the status, and SQLite (no
    # ANALYZE statistics) or a fresh PostgreSQL then read all of them (30 ms and more at
    # 10,000 episodes). Driven by a publish_at index, the first row that passes is the answer.
    condition = and_(Episode.status.in_(VISIBLE_STATUSES), Episode.audio_id.is_not(None))
    return case((condition, 1), else_=0) == 1


def _public_index_predicate() -> ColumnElement[bool]:
    # ix_episode_public's WHERE, rendered with literals: a planner only proves that a query
    # implies a partial index's predicate from constants, not from bound parameters.
    statuses: BindParameter[Any] = bindparam(
        "public_statuses", list(VISIBLE_STATUSES), expanding=True
    )
    return and_(
        Episode.status.in_(statuses.render_literal_execute()), Episode.audio_id.is_not(None)
    )


def is_visible(now: datetime) -> ColumnElement[bool]:
    """The SQL condition for an episode the public may see at `now`."""
    return and_(
        Episode.status.in_(VISIBLE_STATUSES),
        Episode.publish_at.is_not(None),
        Episode.publish_at <= now,
        Episode.audio_id.is_not(None),
    )


def primary_show(session: Session, handle: str = "") -> Show | None:
    """The primary show (the one with `handle` when it exists, else the first one), its
    artwork loaded; None before any show is set up. The old one-show URLs belong to it."""
    statement = select(Show).options(joinedload(Show.artwork))
    if handle:
        found = session.scalar(statement.where(Show.handle == handle))
        if found is not None:
            return found
    return session.scalar(statement.order_by(Show.id).limit(1))


def show_by_handle(session: Session, handle: str) -> Show | None:
    """The show with this handle, its artwork loaded; None when there is none."""
    if not looks_like_handle(handle):
        return None
    return session.scalar(
        select(Show).options(joinedload(Show.artwork)).where(Show.handle == handle)
    )


def show_handles(session: Session) -> dict[int, str]:
    """Every show's handle by id (pages link episodes of several shows)."""
    return dict(session.execute(select(Show.id, Show.handle)).all())


def network(session: Session, now: datetime | None = None) -> list[tuple[Show, Episode | None]]:
    """Every show (oldest first), its artwork loaded, with its newest public episode."""
    now = now or utcnow()
    shows = session.scalars(select(Show).options(joinedload(Show.artwork)).order_by(Show.id)).all()
    # One backward probe per show of ix_episode_public (its predicate stated with literal
    # values, so that both planners can match it), not a ranking of every episode of every
    # show (85 ms at 20 shows of 500 episodes on SQLite; 7 ms on PostgreSQL with a filter).
    newest_id = (
        select(Episode.id)
        .where(
            Episode.show_id == Show.id,
            Episode.publish_at.is_not(None),
            Episode.publish_at <= now,
            _public_index_predicate(),
        )
        .order_by(Episode.publish_at.desc(), Episode.id.desc())
        .limit(1)
        .correlate(Show)
        .scalar_subquery()
    )
    # The ids first, then the rows by primary key: as one `id IN (subquery)` statement
    # PostgreSQL hashed the subquery and scanned every episode (13 ms at 20 x 500).
    ids = [i for i in session.scalars(select(newest_id).select_from(Show)) if i is not None]
    newest = {
        episode.show_id: episode
        for episode in (session.scalars(select(Episode).where(Episode.id.in_(ids))) if ids else [])
    }
    return [(show, newest.get(show.id)) for show in shows]


def shows_of_guest(guest_id: int) -> Select[Show]:
    """The shows with an episode (any status) the guest is on."""
    on_guest = select(Episode.show_id).join(EpisodeGuest).where(EpisodeGuest.guest_id == guest_id)
    return select(Show).where(Show.id.in_(on_guest)).order_by(Show.id)


def _in_show(show_id: int | None) -> ColumnElement[bool]:
    return true() if show_id is None else Episode.show_id == show_id


def public_episodes(now: datetime | None = None, show_id: int | None = None) -> Select[Episode]:
    """Visible episodes of one show (None: of every show), newest first, with audio, image
    and guests loaded in bulk."""
    now = now or utcnow()
    return (
        select(Episode)
        .where(is_visible(now), _in_show(show_id))
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


def search_public_episodes(
    query: str, now: datetime | None = None, show_id: int | None = None
) -> Select[Episode]:
    """Visible episodes whose title, summary, notes or guest names hold the words of `query`
    (services.search: full-text on PostgreSQL, in the show's language)."""
    dialect = db.session.get_bind().dialect.name
    config = None
    if dialect == "postgresql" and show_id is not None:
        language = db.session.scalar(select(Show.language).where(Show.id == show_id))
        config = search.search_config(language)
    return search.matching(public_episodes(now, show_id), query, dialect, config)


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


def public_episode(slug: str, show_id: int, now: datetime | None = None) -> Episode | None:
    """The show's visible episode with this slug, or None (drafts and future episodes are None)."""
    return db.session.scalar(public_episodes(now, show_id).where(Episode.slug == slug))


def next_scheduled_at(now: datetime | None = None, show_id: int | None = None) -> datetime | None:
    """When the next scheduled episode of a show (None: of any) becomes public (caches must
    expire then)."""
    now = now or utcnow()
    return db.session.scalar(
        select(func.min(Episode.publish_at)).where(
            _in_show(show_id), Episode.publish_at > now, _releasable()
        )
    )


def jobs_page(
    session: Session,
    *,
    show_id: int | None = None,
    state: str | None = None,
    before: int | None = None,
    limit: int = 50,
    show_ids: Collection[int] | None = None,
    routine_kinds: Collection[str] = (),
) -> list[Job]:
    """Jobs newest first (ids below `before`), filtered by show and state, of the shows in
    `show_ids` and the service's own (no show) only (None: every job), without the done jobs
    of `routine_kinds`; limit + 1 rows."""
    statement = select(Job).order_by(Job.id.desc()).limit(limit + 1)
    if routine_kinds:
        statement = statement.where(
            or_(Job.kind.not_in(list(routine_kinds)), Job.state != JobState.DONE)
        )
    if show_ids is not None:
        statement = statement.where(or_(Job.show_id.in_(show_ids), Job.show_id.is_(None)))
    if show_id is not None:
        statement = statement.where(Job.show_id == show_id)
    if state is not None:
        statement = statement.where(Job.state == state)
    if before is not None:
        statement = statement.where(Job.id < before)
    return list(session.scalars(statement))


def get_job(session: Session, job_id: int, show_ids: Collection[int] | None = None) -> Job | None:
    """The job with this id, or None; None too when it is another show's than those of
    `show_ids` (None: any; a job of no show, the service's own, is everyone's)."""
    job = session.get(Job, job_id)
    if job is None or not (show_ids is None or job.show_id is None or job.show_id in show_ids):
        return None
    return job


def shows_by_id(session: Session, show_ids: Collection[int] | None = None) -> dict[int, Show]:
    """Every show by id (for labels and filters), or those in `show_ids`."""
    return {show.id: show for show in session.scalars(shows_of(show_ids))}


def shows_of(show_ids: Collection[int] | None = None) -> Select[Show]:
    """The shows in `show_ids` (None: every show), oldest first, artwork loaded."""
    statement = select(Show).options(joinedload(Show.artwork)).order_by(Show.id)
    if show_ids is not None:
        statement = statement.where(Show.id.in_(show_ids))
    return statement


def shows_with_episode_counts(
    session: Session, show_ids: Collection[int] | None = None
) -> list[tuple[Show, int]]:
    """The shows (of `show_ids`, None: all), oldest first, each with its number of episodes."""
    counts = select(Episode.show_id, func.count().label("n")).group_by(Episode.show_id).subquery()
    statement = shows_of(show_ids).add_columns(func.coalesce(counts.c.n, 0))
    statement = statement.outerjoin(counts, counts.c.show_id == Show.id)
    return [(show, count) for show, count in session.execute(statement).unique().all()]


def episode_count(session: Session, show_id: int) -> int:
    """How many episodes (any status) the show has."""
    return session.scalar(select(func.count()).where(Episode.show_id == show_id)) or 0


def member_show_ids(session: Session, user_ids: Collection[int]) -> dict[int, set[int]]:
    """The show ids each of these users is a member of."""
    found: dict[int, set[int]] = {user_id: set() for user_id in user_ids}
    if not user_ids:
        return found
    rows = session.execute(
        select(ShowMember.user_id, ShowMember.show_id).where(ShowMember.user_id.in_(user_ids))
    )
    for user_id, show_id in rows:
        found[user_id].add(show_id)
    return found


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


# The listeners' pages.

PER_PAGE = 20


@dataclass(frozen=True)
class Page:
    """One page of a list: its items and whether there are pages either side."""

    items: list[Episode]
    number: int
    has_prev: bool
    has_next: bool


def paginate(
    session: Session, statement: Select[Episode], number: int, per_page: int = PER_PAGE
) -> Page:
    """The `number`th page (from 1) of the statement's rows; one query, no COUNT."""
    rows = session.scalars(statement.limit(per_page + 1).offset((number - 1) * per_page)).all()
    return Page(list(rows[:per_page]), number, number > 1, len(rows) > per_page)


def _lean(statement: Select[Episode], *, full: bool) -> Select[Episode]:
    """The rows `statement` selects (its visibility and search rules), loaded in fewer queries.

    Many-to-one media are joined into the main query; guests come in one more. A list page
    loads only what a card shows (`full=False`): its image, no transcript or photos.
    """
    guests = selectinload(Episode.appearances).joinedload(EpisodeGuest.guest)
    if full:
        options = [
            joinedload(Episode.audio),
            joinedload(Episode.image),
            joinedload(Episode.transcript),
            guests.joinedload(Guest.photo),
        ]
    else:
        options = [joinedload(Episode.audio), joinedload(Episode.image), guests]
    return (
        select(Episode)
        .where(statement.whereclause if statement.whereclause is not None else true())
        .options(*options)
        .order_by(Episode.publish_at.desc(), Episode.id.desc())
    )


def episode_listing(
    session: Session,
    query: str,
    number: int,
    now: datetime | None = None,
    show_id: int | None = None,
) -> Page:
    """A page of a show's public episodes, or of those matching the search words."""
    statement = (
        search_public_episodes(query, now, show_id) if query else public_episodes(now, show_id)
    )
    return paginate(session, _lean(statement, full=False), number)


def episode_page(
    session: Session, slug: str, show_id: int, now: datetime | None = None
) -> Episode | None:
    """The show's visible episode with this slug and all its page shows, in two queries."""
    statement = public_episodes(now, show_id).where(Episode.slug == slug)
    return session.scalar(_lean(statement, full=True))


def preview_episode(session: Session, episode_id: int) -> Episode | None:
    """Any episode by id, public or not, with all its page shows (for its preview link)."""
    return session.scalar(_lean(select(Episode).where(Episode.id == episode_id), full=True))


@dataclass(frozen=True)
class Neighbour:
    """An adjacent episode: enough to link to it."""

    slug: str
    title: str


def neighbours(
    session: Session, episode: Episode, now: datetime | None = None
) -> tuple[Neighbour | None, ...]:
    """The previous (older) and next (newer) public episodes around this one."""
    now = now or utcnow()
    when, ident = episode.publish_at, episode.id
    older = or_(Episode.publish_at < when, and_(Episode.publish_at == when, Episode.id < ident))
    newer = or_(Episode.publish_at > when, and_(Episode.publish_at == when, Episode.id > ident))
    base = select(Episode.slug, Episode.title).where(
        is_visible(now), Episode.show_id == episode.show_id
    )
    previous = session.execute(
        base.where(older).order_by(Episode.publish_at.desc(), Episode.id.desc()).limit(1)
    ).first()
    following = session.execute(
        base.where(newer).order_by(Episode.publish_at.asc(), Episode.id.asc()).limit(1)
    ).first()
    return (
        Neighbour(previous.slug, previous.title) if previous else None,
        Neighbour(following.slug, following.title) if following else None,
    )


def guest_page(
    session: Session, slug: str, now: datetime | None = None
) -> tuple[Guest, list[Episode]] | None:
    """A guest and the public episodes they speak on; None when there are none (or no guest)."""
    person = session.scalar(
        select(Guest).options(joinedload(Guest.photo)).where(Guest.slug == slug)
    )
    if person is None:
        return None
    statement = public_episodes(now).where(
        Episode.appearances.any(EpisodeGuest.guest_id == person.id)
    )
    episodes = session.scalars(_lean(statement, full=False)).all()
    return (person, list(episodes)) if episodes else None


def sitemap_rows(session: Session, now: datetime | None = None) -> tuple[list[Any], list[Any]]:
    """(slug, updated_at) rows of every public episode (newest first) and of every guest on one."""
    now = now or utcnow()
    visible = is_visible(now)
    episodes = session.execute(
        select(Episode.show_id, Episode.slug, Episode.updated_at)
        .where(visible)
        .order_by(Episode.publish_at.desc(), Episode.id.desc())
    ).all()
    guests = session.execute(
        select(Guest.slug, Guest.updated_at)
        .where(Guest.id.in_(select(EpisodeGuest.guest_id).join(Episode).where(visible)))
        .order_by(Guest.slug)
    ).all()
    return list(episodes), list(guests)


# The producers' side: the admin's lists and the API's pages, drafts included.


def admin_episodes(session: Session, show_ids: Collection[int] | None = None) -> list[Episode]:
    """Every episode of the shows (None: of every show), newest (publish date, else creation)
    first, with audio and guests."""
    return list(
        session.scalars(
            select(Episode)
            .where(true() if show_ids is None else Episode.show_id.in_(show_ids))
            .options(
                selectinload(Episode.audio),
                selectinload(Episode.appearances).joinedload(EpisodeGuest.guest),
            )
            .order_by(
                func.coalesce(Episode.publish_at, Episode.created_at).desc(), Episode.id.desc()
            )
        )
    )


def guests_by_name(session: Session) -> list[Guest]:
    """Every guest, by name (the episode form's pickers)."""
    return list(session.scalars(select(Guest).order_by(func.lower(Guest.name))))


def guests_with_episode_counts(session: Session) -> list[tuple[Guest, int]]:
    """Every guest by name, with the number of episodes they are on."""
    rows = session.execute(
        select(Guest, func.count(EpisodeGuest.episode_id))
        .outerjoin(EpisodeGuest, EpisodeGuest.guest_id == Guest.id)
        .group_by(Guest.id)
        .order_by(func.lower(Guest.name))
    ).all()
    return [(guest, count) for guest, count in rows]


def episodes_of_guest(session: Session, guest_id: int) -> list[Episode]:
    """Every episode (drafts too) the guest is on."""
    return list(
        session.scalars(select(Episode).join(EpisodeGuest).where(EpisodeGuest.guest_id == guest_id))
    )


def _api_episodes() -> Select[Episode]:
    return select(Episode).options(
        selectinload(Episode.audio),
        selectinload(Episode.image),
        selectinload(Episode.transcript),
        selectinload(Episode.appearances).joinedload(EpisodeGuest.guest).joinedload(Guest.photo),
    )


def api_episode(
    session: Session, episode_id: int, show_ids: Collection[int] | None = None
) -> Episode | None:
    """One episode, whatever its status, with all the API shows of it; None when it is not in
    one of `show_ids` (None: any show), so another show's episode looks missing."""
    statement = _api_episodes().where(Episode.id == episode_id)
    if show_ids is not None:
        statement = statement.where(Episode.show_id.in_(show_ids))
    return session.scalar(statement)


def api_episodes_page(
    session: Session,
    limit: int,
    before_id: int | None,
    status: EpisodeStatus | None,
    show_id: int | None = None,
) -> list[Episode]:
    """Up to `limit` + 1 episodes of a show (the extra one says there is more), newest id
    first, below the cursor `before_id`, of one status when given."""
    statement = _api_episodes().where(_in_show(show_id)).order_by(Episode.id.desc())
    if status is not None:
        statement = statement.where(Episode.status == status)
    if before_id is not None:
        statement = statement.where(Episode.id < before_id)
    return list(session.scalars(statement.limit(limit + 1)))


def api_guests_page(session: Session, limit: int, after_id: int | None) -> list[Guest]:
    """Up to `limit` + 1 guests, oldest id first, above the cursor `after_id`."""
    statement = select(Guest).options(selectinload(Guest.photo)).order_by(Guest.id)
    if after_id is not None:
        statement = statement.where(Guest.id > after_id)
    return list(session.scalars(statement.limit(limit + 1)))


def show_changes(show_id: int, limit: int = 50) -> list[ShowChange]:
    """Who changed the show's feed address and owner email, newest first."""
    statement = (
        select(ShowChange)
        .where(ShowChange.show_id == show_id)
        .order_by(ShowChange.changed_at.desc(), ShowChange.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(statement))


def get_webhook(session: Session, webhook_id: int) -> Webhook | None:
    """The webhook with this id, or None."""
    return session.get(Webhook, webhook_id)


def show_webhooks(session: Session, show_id: int) -> list[Webhook]:
    """The show's webhooks, oldest first."""
    statement = select(Webhook).where(Webhook.show_id == show_id).order_by(Webhook.id)
    return list(session.scalars(statement))


def webhook_deliveries(
    session: Session, webhook_id: int, *, limit: int, before: int | None = None
) -> list[WebhookDelivery]:
    """The webhook's delivery log, newest first; `before` pages on (an id from the last page)."""
    statement = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if before is not None:
        statement = statement.where(WebhookDelivery.id < before)
    return list(session.scalars(statement.order_by(WebhookDelivery.id.desc()).limit(limit)))


def last_deliveries(session: Session, webhook_ids: list[int]) -> dict[int, WebhookDelivery]:
    """The latest logged attempt of each of these webhooks (absent when none yet)."""
    if not webhook_ids:
        return {}
    latest = (
        select(func.max(WebhookDelivery.id))
        .where(WebhookDelivery.webhook_id.in_(webhook_ids))
        .group_by(WebhookDelivery.webhook_id)
    )
    rows = session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(latest)))
    return {row.webhook_id: row for row in rows}


def episode_guid(session: Session, episode_id: int) -> str | None:
    """The guid of an episode (the folder of its files in storage), None when there is none."""
    return session.scalar(select(Episode.guid).where(Episode.id == episode_id))
