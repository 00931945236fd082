"""The rendered feed, cached in-process and keyed by what the database says has changed.

Every service write bumps Show.revision in the same transaction, and a scheduled episode
becomes public by the clock alone, so (show, revision, next publish_at still to come)
identifies the feed's content. One small query per request reads that key; the
feed is rendered only when the key is new. Rendering is deterministic, so every worker and
host derives the same bytes and ETag from the same database without talking to each other.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from podcast.feed.build import (
    FeedItem,
    FeedLinks,
    ItemGuest,
    chapter_tuples,
    last_build,
    render_feed,
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

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}
        self._entries: dict[int, RenderedFeed] = {}
        self._fragments: dict[int, dict[Any, str]] = {}  # each item's XML from the last render
        self.renders = 0

    def clear(self) -> None:
        """Forget every rendered feed."""
        with self._guard:
            self._entries.clear()
            self._fragments.clear()

    def _lock_of(self, show_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(show_id, threading.Lock())

    def get(
        self, session: Session, state: FeedState, now: datetime, links: Callable[[], FeedLinks]
    ) -> RenderedFeed:
        """The show's feed for this state: the cached one when the key matches, else a new
        render (`links` is asked for the URLs only then)."""
        entry = self._entries.get(state.show_id)
        if entry is not None and entry.key == state.key:
            return entry
        # One render per show and process, not one per waiting thread; other shows go on.
        with self._lock_of(state.show_id):
            entry = self._entries.get(state.show_id)
            if entry is not None and entry.key == state.key:
                return entry
            fragments = self._fragments.setdefault(state.show_id, {})
            entry = _render(session, state, now, links(), fragments)
            self.renders += 1
            # A write committed while rendering: serve this one but do not keep it under the
            # old key (revision only grows, so an unchanged key proves nothing slipped in).
            after = feed_state(session, now, show_id=state.show_id)
            if after is not None and after.key == state.key:
                self._entries[state.show_id] = entry
            return entry


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


def load_items(session: Session, now: datetime, show_id: int) -> list[FeedItem]:
    """The show's public episodes at `now`, newest first, as plain values: two queries, no ORM
    objects."""
    audio, image = aliased(MediaAsset), aliased(MediaAsset)
    visible = and_(queries.is_visible(now), Episode.show_id == show_id)
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
    for row in rows:
        fields = dict(row._mapping)
        episode_id, transcript_id = fields.pop("id"), fields.pop("transcript_id")
        fields["episode_type"] = EpisodeType(fields["episode_type"]).value
        fields["chapters"] = chapter_tuples(fields["chapters"])
        fields["audio_chapters"] = chapter_tuples(fields["audio_chapters"] or [])
        items.append(
            FeedItem(
                **fields,
                has_transcript=transcript_id is not None,
                guests=tuple(guests.get(episode_id, ())),
            )
        )
    return items


def _render(
    session: Session, state: FeedState, now: datetime, links: FeedLinks, fragments: dict[Any, str]
) -> RenderedFeed:
    show = session.get_one(Show, state.show_id)
    items = load_items(session, now, show.id)
    body = render_feed(show, items, links, fragments)
    digest = hashlib.sha256(body).hexdigest()[:32]
    # The same moment the feed states as lastBuildDate: one content time, only moving forward.
    modified = last_build(show, items)
    return RenderedFeed(
        key=state.key,
        body=body,
        gzipped=gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0),  # same bytes everywhere
        etag=f'"{digest}"',
        gzip_etag=f'"{digest}-gz"',
        last_modified=modified,
        last_modified_http=format_datetime(modified.astimezone(UTC), usegmt=True),
    )


def current_feed(
    cache: FeedCache,
    session: Session,
    links: Callable[[], FeedLinks],
    now: datetime,
    handle: str | None = None,
) -> tuple[RenderedFeed, FeedState] | None:
    """The feed of the show with `handle` (None or "": the first show) valid at `now`, and
    the state it was checked against (None: no such show)."""
    state = feed_state(session, now, handle=handle)
    if state is None:
        return None
    return cache.get(session, state, now, links), state
