"""The rendered feed, cached in-process and keyed by what the database says has changed.

Every service write bumps Show.revision in the same transaction, and a scheduled episode
becomes public by the clock alone, so (show, revision, next publish_at still to come)
identifies the feed's content. One small query reads that key; the feed is rendered only
when the key is new. Rendering is deterministic, so every worker and host derives the same
bytes and ETag from the same database without talking to each other.

A poll does not wait on the database: a worker trusts the key it read for
PODCAST_FEED_STATE_SECONDS (default 1 s), never past the next release it names, and forgets
it as soon as this process commits a change to a show. An edit made on another worker or
host is therefore served everywhere within that bound.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import String, and_, bindparam, event, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from podcast.feed.build import (
    FeedItem,
    FeedLinks,
    ItemGuest,
    Kept,
    Page,
    assemble_feed,
    chapter_tuples,
    last_build,
    page_count,
    page_url,
)
from podcast.models import (
    Episode,
    EpisodeGuest,
    EpisodeType,
    Guest,
    MediaAsset,
    Show,
    UTCDateTime,
    utcnow,
)
from podcast.services import queries
from podcast.services.handles import looks_like_handle

GZIP_LEVEL = 6
STATE_ENTRIES_MAX = 1024  # shows (and their handles) a worker keeps a state for


class _LocalWrites:
    """Counts commits in this process that wrote anything (a revision bump, a date moved by
    hand): a feed state read before the count moved may be stale."""

    def __init__(self) -> None:
        self.count = 0

    def note(self) -> None:
        self.count += 1  # under the GIL; a lost increment only costs a query


local_writes = _LocalWrites()


# Any write, not only to a show: cheaper to read the state again than to prove a write did
# not touch it (an UPDATE of an episode's date by hand changes the next release).
@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info["feed_state_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: Any) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        state.session.info["feed_state_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_states_after_commit(session: Session) -> None:
    if session.info.pop("feed_state_changed", False):
        local_writes.note()


@event.listens_for(Session, "after_rollback")
def _keep_states_after_rollback(session: Session) -> None:
    session.info.pop("feed_state_changed", None)


@dataclass(frozen=True)
class FeedState:
    """What one cheap query says about the feed's content at a moment."""

    show_id: int
    revision: int
    updated_at: datetime
    next_due: datetime | None
    first_show_id: int  # the primary show's, unless PODCAST_PRIMARY_SHOW names another

    @property
    def key(self) -> tuple[Any, ...]:
        """Equal keys mean equal feed content."""
        return (self.show_id, self.revision, self.next_due)


@dataclass(frozen=True)
class RenderedFeed:
    """The feed's bytes in both encodings with their validators."""

    key: tuple[Any, ...]
    body: bytes
    gzipped: bytes
    etag: str
    gzip_etag: str
    last_modified: datetime
    last_modified_http: str  # the header value, formatted once


class FeedCache:
    """Holds each show's latest rendered feed; `renders` counts renders (tests and bench
    read it)."""

    def __init__(self, state_seconds: float = 0.0) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}
        self._entries: dict[tuple[int, int], RenderedFeed] = {}  # by (show id, page)
        # what each feed or page keeps between renders (its items' XML, runs), by (show id, page)
        self._kept: dict[tuple[int, int], Kept] = {}
        self._items: dict[int, KnownItems] = {}  # by show id: the items of its last render
        self._pages: dict[int, tuple[tuple[Any, ...], int]] = {}  # show id: (state key, pages)
        # (handle) -> (state, read at (monotonic), local_writes.count when read)
        self._states: dict[str | None, tuple[FeedState, float, int]] = {}
        self.state_seconds = state_seconds
        self.renders = 0
        self.state_reads = 0  # queries for a feed state (tests and the bench read it)

    def clear(self) -> None:
        """Forget every rendered feed and every state read."""
        with self._guard:
            self._entries.clear()
            self._kept.clear()
            self._items.clear()
            self._pages.clear()
            self._states.clear()

    def state(self, session: Session, now: datetime, handle: str | None) -> FeedState | None:
        """The feed state of the show with `handle` (None: the first show), as read from the
        database at most `state_seconds` ago, before any change this process committed since
        and before its next release (None: no such show)."""
        kept = self._states.get(handle)
        if kept is not None:
            state, read_at, writes = kept
            fresh = time.monotonic() - read_at < self.state_seconds
            if (
                fresh
                and writes == local_writes.count
                and (state.next_due is None or now < state.next_due)
            ):
                return state
        writes = local_writes.count
        read = feed_state(session, now, handle=handle)
        self.state_reads += 1
        if read is not None and self.state_seconds > 0:
            if len(self._states) >= STATE_ENTRIES_MAX:
                self._states.clear()
            self._states[handle] = (read, time.monotonic(), writes)
        return read

    def _lock_of(self, show_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(show_id, threading.Lock())

    def get(
        self,
        session: Session,
        state: FeedState,
        now: datetime,
        links: Callable[[], FeedLinks],
        page: int = 1,
    ) -> RenderedFeed | None:
        """The show's feed (or page of its paged feed) for this state: the cached one when the
        key matches, else a new render (`links` is asked for the URLs only then); None for a
        page past the last."""
        where = (state.show_id, page)
        entry = self._entries.get(where)
        if entry is not None and entry.key == state.key:
            return entry
        known = self._pages.get(state.show_id)
        if page > 1 and known is not None and known[0] == state.key and page > known[1]:
            return None  # no render for an address that has no page
        # One render per show and process, not one per waiting thread; other shows go on.
        with self._lock_of(state.show_id):
            entry = self._entries.get(where)
            if entry is not None and entry.key == state.key:
                return entry
            kept = self._kept.setdefault(where, Kept())
            before = self._items.get(state.show_id)
            rendered = _render(session, state, now, links(), kept, page, before)
            self._items[state.show_id] = rendered.known
            self.renders += 1
            self._pages[state.show_id] = (state.key, rendered.pages)
            if rendered.feed is None:
                del self._kept[where]
                return None
            # A write committed while rendering: serve this one but do not keep it under the
            # old key (revision only grows, so an unchanged key proves nothing slipped in).
            after = feed_state(session, now, show_id=state.show_id)
            if after is not None and after.key == state.key:
                self._entries[where] = rendered.feed
            return rendered.feed


@lru_cache(maxsize=3)
def _state_statement(by: str) -> Any:
    """Built once per kind (by handle, by id, the first show): per request only the bound
    values change (SQLAlchemy caches the SQL too)."""
    now = bindparam("now", type_=UTCDateTime())
    # The next moment any of the show's episodes' publish_at passes. Given the revision, the
    # set of public episodes can only change at such a moment, so (revision, next release) is
    # a complete key. The (show_id, publish_at) index answers it whatever the number of shows;
    # a future draft merely costs one re-render of identical bytes.
    next_release = (
        select(func.min(Episode.publish_at))
        .where(Episode.show_id == Show.id, Episode.publish_at > now)
        .correlate(Show)
    )
    first = aliased(Show)
    statement = select(
        Show.id,
        Show.revision,
        Show.updated_at,
        next_release.scalar_subquery(),
        select(func.min(first.id)).scalar_subquery(),
    )
    if by == "handle":
        return statement.where(Show.handle == bindparam("handle"))
    if by == "id":
        return statement.where(Show.id == bindparam("show_id"))
    return statement.order_by(Show.id).limit(1)


def feed_state(
    session: Session,
    now: datetime | None = None,
    *,
    handle: str | None = None,
    show_id: int | None = None,
) -> FeedState | None:
    """Read a show's feed cache key and next release time in one small query (None: no such
    show). The show is named by handle or id; neither: the first show.

    On a connection of its own, outside the session's transaction: it must see the latest
    commit, even one made while this request rendered.
    """
    if handle and not looks_like_handle(handle):
        return None
    values: dict[str, Any] = {"now": now or utcnow()}
    by = "first"
    if handle:
        by, values["handle"] = "handle", handle
    elif show_id is not None:
        by, values["show_id"] = "id", show_id
    with session.get_bind().engine.connect() as conn:
        row = conn.execute(_state_statement(by), values).first()
    return None if row is None else FeedState(*row)


@dataclass(frozen=True)
class KnownItems:
    """A show's items as last loaded, each with the stamp of the rows it was made from."""

    guests: tuple[Any, ...]  # (newest guest change, number of guests) then
    items: dict[int, tuple[tuple[Any, ...], FeedItem]]  # episode id: (stamp, item)


# More changed episodes than this and one query for all is cheaper than an IN list.
RELOAD_ALL_OVER = 500


def load_items_since(
    session: Session, now: datetime, show_id: int, known: KnownItems | None
) -> tuple[list[FeedItem], KnownItems]:
    """The show's public episodes at `now`, newest first, as plain values, reading again only
    the episodes whose rows changed since `known`.

    An item is made of its episode's row, its media rows and its guests' rows. The stamp of
    an episode (updated_at and its files' ids; every service edit moves updated_at, and a
    replaced file is a new row) says whether its own rows changed; a guest's edit can reach
    any item, so any change to the guests reloads them all.
    """
    guests = tuple(session.execute(select(func.max(Guest.updated_at), func.count(Guest.id))).one())
    visible = and_(queries.is_visible(now), Episode.show_id == show_id)
    stamps = session.execute(
        select(
            # As stored: a stamp is only compared, so skip making 5,000 datetimes.
            Episode.id, type_coerce(Episode.updated_at, String()), Episode.audio_id,
            Episode.image_id,
            Episode.transcript_id,
        )
        .where(visible)
        .order_by(Episode.publish_at.desc(), Episode.id.desc())
    ).all()  # fmt: skip
    by_stamp = {row[0]: tuple(row[1:]) for row in stamps}
    kept = known.items if known is not None and known.guests == guests else {}
    changed = [i for i, stamp in by_stamp.items() if i not in kept or kept[i][0] != stamp]
    fresh: dict[int, FeedItem] = {}
    if changed:
        subset = None if len(changed) > RELOAD_ALL_OVER else changed
        fresh = dict(_load(session, now, show_id, subset))
    stale = set(changed)
    items = {
        i: (stamp, fresh[i] if i in fresh else kept[i][1])
        for i, stamp in by_stamp.items()
        if i in fresh or (i in kept and i not in stale)
    }
    # An episode hidden between the two queries is left out (and not remembered); the write
    # that hid it bumped the revision, so the next poll renders again.
    return [items[row[0]][1] for row in stamps if row[0] in items], KnownItems(guests, items)


def _load(
    session: Session, now: datetime, show_id: int, ids: list[int] | None
) -> list[tuple[int, FeedItem]]:
    """(episode id, item) of the show's public episodes at `now` (of those in `ids`, if
    given), newest first."""
    audio, image = aliased(MediaAsset), aliased(MediaAsset)
    visible = and_(queries.is_visible(now), Episode.show_id == show_id)
    if ids is not None:
        visible = and_(visible, Episode.id.in_(ids))
    rows = session.execute(
        select(
            Episode.id,
            Episode.guid,
            Episode.slug,
            Episode.title,
            Episode.summary,
            Episode.description,
            Episode.season,
            Episode.number,
            Episode.episode_type,
            Episode.explicit,
            Episode.publish_at,
            Episode.updated_at,
            Episode.chapters,
            Episode.transcript_language,
            audio.key.label("audio_key"),
            audio.size_bytes.label("audio_size"),
            audio.mime_type.label("audio_mime"),
            audio.duration_seconds,
            audio.chapters.label("audio_chapters"),
            image.key.label("image_key"),
            Episode.transcript_id,
        )  # fmt: skip
        .join(audio, Episode.audio_id == audio.id)
        .outerjoin(image, Episode.image_id == image.id)
        .where(visible)
        .order_by(Episode.publish_at.desc(), Episode.id.desc())
    ).all()
    photo = aliased(MediaAsset)
    guests: dict[int, list[ItemGuest]] = {}
    for episode_id, name, slug, photo_key, website in session.execute(
        select(EpisodeGuest.episode_id, Guest.name, Guest.slug, photo.key, Guest.website)
        .join(Guest, EpisodeGuest.guest_id == Guest.id)
        .outerjoin(photo, Guest.photo_id == photo.id)
        .where(EpisodeGuest.episode_id.in_(select(Episode.id).where(visible)))
        .order_by(EpisodeGuest.episode_id, EpisodeGuest.position)
    ):
        guests.setdefault(episode_id, []).append(ItemGuest(name, slug, photo_key, website or ""))
    items = []
    names = list(rows[0]._fields) if rows else []  # once: row._mapping builds its keys per row
    for row in rows:
        fields = dict(zip(names, row, strict=True))
        episode_id, transcript_id = fields.pop("id"), fields.pop("transcript_id")
        fields["episode_type"] = EpisodeType(fields["episode_type"]).value
        fields["chapters"] = chapter_tuples(fields["chapters"])
        fields["audio_chapters"] = chapter_tuples(fields["audio_chapters"] or [])
        items.append(
            (
                episode_id,
                FeedItem(
                    **fields,
                    has_transcript=transcript_id is not None,
                    guests=tuple(guests.get(episode_id, ())),
                ),
            )
        )
    return items


@dataclass(frozen=True)
class _Rendered:
    feed: RenderedFeed | None  # None: the page asked for is past the last
    pages: int
    known: KnownItems


def _render(
    session: Session,
    state: FeedState,
    now: datetime,
    links: FeedLinks,
    kept: Kept,
    number: int = 1,
    known: KnownItems | None = None,
) -> _Rendered:
    show = session.get_one(Show, state.show_id)
    items, known = load_items_since(session, now, show.id, known)
    last = page_count(len(items), show.feed_page_size)
    if number > last:
        return _Rendered(None, last, known)
    page = None
    if last > 1:
        size = show.feed_page_size or len(items)
        page = Page(number, size, last, lambda n: page_url(links.feed, n))
    feed = assemble_feed(show, items, links, kept, page)
    # The same moment the feed states as lastBuildDate: one content time, only moving forward.
    modified = last_build(show, items)
    return _Rendered(
        RenderedFeed(
            key=state.key,
            body=feed.body,
            gzipped=feed.gzipped,
            etag=f'"{feed.digest}"',
            gzip_etag=f'"{feed.digest}-gz"',
            last_modified=modified,
            last_modified_http=format_datetime(modified.astimezone(UTC), usegmt=True),
        ),
        last,
        known,
    )


def current_feed(
    cache: FeedCache,
    session: Session,
    links: Callable[[], FeedLinks],
    now: datetime,
    handle: str | None = None,
    page: int = 1,
) -> tuple[RenderedFeed | None, FeedState] | None:
    """The feed (or a page of the paged feed; None: no such page) of the show with `handle`
    (None or "": the first show) valid at `now`, and the state it was checked against (None:
    no such show)."""
    state = cache.state(session, now, handle)
    if state is None:
        return None
    return cache.get(session, state, now, links, page), state
