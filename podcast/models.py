"""The data model: a show, its episodes and guests, their media, and the people who publish."""

from __future__ import annotations

import enum
import math
import uuid
from datetime import UTC, date, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import Mapped, mapped_column, relationship

from podcast.analytics import summary_sql
from podcast.extensions import Model
from podcast.wording import revive, revive_all

# The longest episode guid kept: an imported source's guid (often a URL) byte for byte.
GUID_MAX = 1024
# No episode is longer than this (Apple's longest are a few hours); it keeps starts printable.
CHAPTER_START_MAX = 1_000_000


def readable_chapters(value: Any) -> list[dict[str, Any]]:
    """The chapters in a stored value that can be shown, sorted by start: a dict with a finite
    start from 0 to CHAPTER_START_MAX seconds. Rows written before the checks, or by hand, may
    hold anything; one bad chapter must not break a page or the feed."""
    chapters = []
    for chapter in value if isinstance(value, list) else ():
        if not isinstance(chapter, dict):
            continue
        try:
            start = float(chapter.get("start"))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            continue
        if math.isfinite(start) and 0 <= start <= CHAPTER_START_MAX:
            readable = {"start": start, "title": str(chapter.get("title", ""))}
            url = chapter.get("url")
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                readable["url"] = url
            chapters.append(readable)
    return sorted(chapters, key=lambda c: c["start"])


def utcnow() -> datetime:
    """The current time, tz-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC everywhere and handed back tz-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Store as naive UTC; a naive value is a bug (whose time zone would it be?)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Hand back tz-aware UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


class EpisodeStatus(enum.StrEnum):
    """Where an episode stands: only published and due scheduled episodes are public."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


# What ix_episode_search indexes on PostgreSQL, and services.search asks for byte for byte (a
# planner matches an index expression only so): the words of the title, summary and notes.
SEARCH_DOCUMENT = (
    "to_tsvector(search_config, coalesce(title, '') || ' ' || "
    "coalesce(summary, '') || ' ' || coalesce(description, ''))"
)
# The SQL predicate of ix_episode_public: the statuses the public may see, with audio.
PUBLIC_EPISODE = "status IN ('published', 'scheduled') AND audio_id IS NOT NULL"


class EpisodeType(enum.StrEnum):
    """Apple's itunes:episodeType values."""

    FULL = "full"
    TRAILER = "trailer"
    BONUS = "bonus"


class ShowType(enum.StrEnum):
    """Apple's itunes:type: episodic (newest first) or serial (oldest first)."""

    EPISODIC = "episodic"
    SERIAL = "serial"


class EpisodeEvent(enum.StrEnum):
    """What webhooks are told happened to an episode's public face."""

    PUBLISHED = "episode.published"
    UPDATED = "episode.updated"
    UNPUBLISHED = "episode.unpublished"
    DELETED = "episode.deleted"


class Role(enum.StrEnum):
    """What a user may do: admins also manage users."""

    ADMIN = "admin"
    PRODUCER = "producer"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


def enum_column(cls: type[enum.StrEnum], name: str) -> Enum:
    """A column type storing the enum's values as short strings (no native database enum)."""
    return _enum(cls, name)


class Show(Model):
    """One podcast of the network: what the channel of its feed says."""

    __tablename__ = "show"

    id: Mapped[int] = mapped_column(primary_key=True)
    # ASCII, lowercase, chosen at creation, never changed nor reused: /shows/<handle>/...
    handle: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    subtitle: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(255), default="")
    owner_name: Mapped[str] = mapped_column(String(255), default="")
    owner_email: Mapped[str] = mapped_column(String(255), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # [[category, subcategory-or-null], ...] in priority order, values from Apple's list
    categories: Mapped[list[list[str | None]]] = mapped_column(JSON, default=list)
    explicit: Mapped[bool] = mapped_column(Boolean, default=False)
    show_type: Mapped[str] = mapped_column(String(16), default=ShowType.EPISODIC.value)
    artwork_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_asset.id", ondelete="SET NULL")
    )
    copyright: Mapped[str] = mapped_column(String(255), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    funding_url: Mapped[str] = mapped_column(String(500), default="")
    funding_label: Mapped[str] = mapped_column(String(128), default="")
    # {"apple": url, "spotify": url, ...}: the subscribe links on the home page
    directory_links: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # [{"name", "role", "href", "img"}]: the hosts, written as podcast:person on channel and items
    hosts: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    locked: Mapped[bool] = mapped_column(Boolean, default=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    new_feed_url: Mapped[str] = mapped_column(String(500), default="")
    apple_verify: Mapped[str] = mapped_column(String(128), default="")
    # Space-separated origins that may frame the embeddable player (CSP frame-ancestors);
    # empty: any site may (services.embeds.frame_ancestors).
    embed_origins: Mapped[str | None] = mapped_column(Text)
    # How many episodes the main feed carries (None: all); older ones are on its RFC 5005 pages.
    feed_page_size: Mapped[int | None] = mapped_column(Integer)
    # Audio processing (services.processing): None takes the default for the channel layout.
    loudness_target: Mapped[float | None] = mapped_column(Float)
    true_peak_max: Mapped[float | None] = mapped_column(Float)
    mp3_bitrate: Mapped[int | None] = mapped_column(Integer)
    audio_channels: Mapped[str] = mapped_column(String(8), default="stereo")
    normalize_lossy: Mapped[bool] = mapped_column(Boolean, default=False)
    podcast_guid: Mapped[str] = mapped_column(String(36))
    # The feed the show was imported from (podcast.imports), as last recorded; "" if none.
    source_feed_url: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    # Archived: pages say so, the feed stays up marked complete, new episodes are refused.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped in the same transaction as any public content change: caches compare it.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # When what listeners see last changed (edits, deletes, unpublishing; not drafts). Only ever
    # moves forward: the feed's lastBuildDate and Last-Modified both come from it.
    content_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    artwork: Mapped[MediaAsset | None] = relationship(foreign_keys=[artwork_id])

    @property
    def archived(self) -> bool:
        """True once an admin archived the show."""
        return self.archived_at is not None


class ShowMember(Model):
    """A producer's membership of a show: they see, edit and publish its episodes."""

    __tablename__ = "show_member"

    show_id: Mapped[int] = mapped_column(
        ForeignKey("show.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RetiredHandle(Model):
    """The handle of a deleted show: its URLs were public once, so it is never given again."""

    __tablename__ = "retired_handle"

    handle: Mapped[str] = mapped_column(String(40), primary_key=True)
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MediaAsset(Model):
    """One object in storage (audio, image or transcript) and what inspecting it found."""

    __tablename__ = "media_asset"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # audio | image | transcript
    mime_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    bitrate: Mapped[int | None] = mapped_column(Integer)
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # [{"start": seconds, "title": str}] read from the file (ID3 CHAP, MP4 chapters)
    chapters: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Records of the warnings' sentences (podcast.wording.records), for the admin's languages.
    warnings_wording: Mapped[list[Any] | None] = mapped_column(JSON)
    # {"integrated_lufs", "true_peak_dbtp", "range_lu"} of audio, once measured
    loudness: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    # The guid of the episode the file was stored for; audio staged ahead of a new episode's
    # form carries the guid that episode then takes. None for guests' and the show's images.
    episode_guid: Mapped[str | None] = mapped_column(String(GUID_MAX))
    # The fingerprint (audio.tags.TagInfo.fingerprint) of the tags the service wrote into this
    # MP3; None: the file's tags are the uploader's. A different one means a rewrite is due.
    tags_sha256: Mapped[str | None] = mapped_column(String(64))
    # Peaks of the decoded audio (audio.waveform.peaks_from_samples), about 4 kB: loaded only
    # by the pages that draw it, not by the feed.
    waveform: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def warning_sentences(self) -> list[str]:
        """The warnings, as Sentences where their words were recorded."""
        return revive_all(list(self.warnings or []), self.warnings_wording)


class ReplacedMedia(Model):
    """An object whose row was replaced, kept so apps holding the previous feed can still fetch
    it; `podcast check --fix` deletes it once `delete_after` has passed."""

    __tablename__ = "replaced_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    episode_id: Mapped[int | None] = mapped_column(
        ForeignKey("episode.id", ondelete="SET NULL"), index=True
    )
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delete_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class EpisodeGuest(Model):
    """A guest's appearance on an episode, in speaking order."""

    __tablename__ = "episode_guest"

    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), primary_key=True
    )
    guest_id: Mapped[int] = mapped_column(
        ForeignKey("guest.id", ondelete="RESTRICT"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    role: Mapped[str] = mapped_column(String(32), default="guest")

    episode: Mapped[Episode] = relationship(back_populates="appearances")
    guest: Mapped[Guest] = relationship(back_populates="appearances", lazy="joined")


class Episode(Model):
    """One episode: its words, its audio and when the public may see it."""

    __tablename__ = "episode"
    __table_args__ = (
        CheckConstraint("season IS NULL OR season >= 1", name="season_positive"),
        CheckConstraint("number IS NULL OR number >= 1", name="number_positive"),
        # Slugs are unique within a show; the same title may exist in two shows.
        UniqueConstraint("show_id", "slug", name="uq_episode_show_slug"),
        # A guid is unique within its show: an imported show keeps its source's guids byte
        # for byte, and two source feeds may well use the same ones ("1", "2", ...).
        UniqueConstraint("show_id", "guid", name="uq_episode_show_guid"),
        # A show's next release and its newest episodes (id breaks ties), however many shows.
        Index("ix_episode_show_publish", "show_id", "publish_at", "id"),
        # The public episodes only: their newest per show is the first row read backwards
        # (queries.PUBLIC must state this predicate for a planner to use it).
        Index(
            "ix_episode_public",
            "show_id",
            "publish_at",
            "id",
            postgresql_where=text(PUBLIC_EPISODE),
            sqlite_where=text(PUBLIC_EPISODE),
        ),
        # Full-text search on PostgreSQL (services.search).
        Index("ix_episode_search", text(SEARCH_DOCUMENT), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("show.id", ondelete="CASCADE"), index=True)
    # Minted (UUID) here, or an imported source's guid as it was (a URL, a number...).
    guid: Mapped[str] = mapped_column(String(GUID_MAX), default=lambda: str(uuid.uuid4()))
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    season: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)
    episode_type: Mapped[EpisodeType] = mapped_column(
        _enum(EpisodeType, "episode_type"), default=EpisodeType.FULL
    )
    explicit: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[EpisodeStatus] = mapped_column(
        _enum(EpisodeStatus, "episode_status"), default=EpisodeStatus.DRAFT, index=True
    )
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    audio_id: Mapped[int | None] = mapped_column(ForeignKey("media_asset.id", ondelete="SET NULL"))
    image_id: Mapped[int | None] = mapped_column(ForeignKey("media_asset.id", ondelete="SET NULL"))
    transcript_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_asset.id", ondelete="SET NULL")
    )
    # The PostgreSQL text search configuration of the show's language (services.search).
    search_config: Mapped[str] = mapped_column(
        String(32).with_variant(REGCONFIG(), "postgresql"),
        default="simple",
        server_default="simple",
    )
    # The transcript's language (BCP 47) when it is not the show's; None: the show's.
    transcript_language: Mapped[str | None] = mapped_column(String(16))
    # Chapters typed in the form override those read from the audio; None: use the audio's.
    chapters: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # The upload kept privately (masters/...) that the published MP3 is encoded from.
    master_id: Mapped[int | None] = mapped_column(ForeignKey("media_asset.id", ondelete="SET NULL"))
    # The processing job making the published file from the master (publishing waits for it).
    processing_job_id: Mapped[int | None] = mapped_column(Integer)
    # {"format", "duration_seconds", "integrated_lufs"} of the upload
    source: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Scheduled for a future time and not yet announced: the release sweep announces it once
    # its time comes (and clears this in the same statement, so only one sweep does).
    release_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    show: Mapped[Show] = relationship()
    audio: Mapped[MediaAsset | None] = relationship(foreign_keys=[audio_id])
    image: Mapped[MediaAsset | None] = relationship(foreign_keys=[image_id])
    transcript: Mapped[MediaAsset | None] = relationship(foreign_keys=[transcript_id])
    master: Mapped[MediaAsset | None] = relationship(foreign_keys=[master_id])
    appearances: Mapped[list[EpisodeGuest]] = relationship(
        back_populates="episode",
        order_by="EpisodeGuest.position",
        cascade="all, delete-orphan",
    )

    @property
    def guests(self) -> list[Guest]:
        """The guests in speaking order."""
        return [appearance.guest for appearance in self.appearances]

    @property
    def effective_chapters(self) -> list[dict[str, Any]]:
        """Chapters from the form when given, else those read from the audio file."""
        if self.chapters is not None:
            return readable_chapters(self.chapters)
        return readable_chapters(self.audio.chapters) if self.audio else []

    def is_public(self, now: datetime | None = None) -> bool:
        """True when listeners may see it: published or scheduled, and its time has come."""
        now = now or utcnow()
        return (
            self.status in (EpisodeStatus.PUBLISHED, EpisodeStatus.SCHEDULED)
            and self.publish_at is not None
            and self.publish_at <= now
            and self.audio_id is not None
        )


class Guest(Model):
    """A person who speaks on episodes; the bio is written once and reused."""

    __tablename__ = "guest"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("media_asset.id", ondelete="SET NULL"))
    website: Mapped[str] = mapped_column(String(500), default="")
    # [{"label", "url"}]
    links: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    photo: Mapped[MediaAsset | None] = relationship(foreign_keys=[photo_id])
    appearances: Mapped[list[EpisodeGuest]] = relationship(back_populates="guest")


class User(UserMixin, Model):
    """A producer or admin who logs in."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    # What the person is called, given when they accept an invitation; "" for older accounts.
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"), default=Role.PRODUCER)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session's user id: bumping it (logout, new password, deactivation) ends
    # every session of the account, including copies of its cookie.
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    # The admin's interface language (podcast.i18n.ADMIN_LOCALES); listener pages follow the show.
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[ShowMember]] = relationship(cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        """Flask-Login: disabled accounts cannot log in."""
        return self.active

    @property
    def is_admin(self) -> bool:
        """True for admins."""
        return self.role == Role.ADMIN

    def get_id(self) -> str:
        """Flask-Login: the id a session stores, "<id>:<session generation>"."""
        return f"{self.id}:{self.session_generation or 0}"


class ApiToken(Model):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written at most once a minute per token, not on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")


class ShowChange(Model):
    """Who changed one of the show's settings that move or claim its subscribers, and how."""

    __tablename__ = "show_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("show.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # The account's email when it was made, or who else made it (the command line).
    actor: Mapped[str] = mapped_column(String(255))
    via: Mapped[str] = mapped_column(String(16))  # admin | api | cli
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    show: Mapped[Show] = relationship()


class IdempotencyKey(Model):
    """An API create made with an Idempotency-Key: what it answered, saved with what it made."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the operation and its body: the same key with another request is refused.
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    location: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Webhook(Model):
    """A URL told about the show's episode changes, each POST signed with its own secret."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("show.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    show: Mapped[Show] = relationship()
    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="webhook", cascade="all, delete-orphan", passive_deletes=True
    )


class WebhookDelivery(Model):
    """One attempt at delivering one event to a webhook: the delivery log admins read."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhook.id", ondelete="CASCADE"), index=True
    )
    # The X-Podcast-Delivery header: the same on every attempt, so receivers can deduplicate.
    delivery_id: Mapped[str] = mapped_column(String(36), index=True)
    event: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    # The record of the error's sentence (podcast.wording.record), for the admin's languages.
    error_wording: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    webhook: Mapped[Webhook] = relationship(back_populates="deliveries")

    @property
    def error_sentence(self) -> str:
        """The error, as a Sentence when its words were recorded."""
        return revive(self.error, self.error_wording)


# The rows of new-episode forms (no episode yet): one per user and show. NULLs are distinct in a
# unique constraint on SQLite and PostgreSQL alike, so these need a partial unique index.
NEW_EPISODE_AUTOSAVE = "episode_id IS NULL"


class EpisodeAutosave(Model):
    """What a user typed into an episode's form and has not saved: one per user, show and
    episode (None: the new-episode form), restored when the form opens again."""

    __tablename__ = "episode_autosave"
    __table_args__ = (
        UniqueConstraint("user_id", "show_id", "episode_id"),
        Index(
            "uq_episode_autosave_new",
            "user_id",
            "show_id",
            unique=True,
            postgresql_where=text(NEW_EPISODE_AUTOSAVE),
            sqlite_where=text(NEW_EPISODE_AUTOSAVE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    show_id: Mapped[int] = mapped_column(ForeignKey("show.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[int | None] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), index=True
    )
    # {field name as the form posts it: value}, text only (services.autosave.FIELDS).
    fields: Mapped[dict[str, str]] = mapped_column(JSON)
    # The state the text was typed on: the episode's updated_at, or a new form's load id.
    base: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpentAutosaveForm(Model):
    """A new-episode form load that created its episode: its late autosaves are dropped."""

    __tablename__ = "spent_autosave_form"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    base: Mapped[str] = mapped_column(String(64), primary_key=True)
    spent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class DownloadDaily(Model):
    """Downloads of one episode on one UTC day through one app from one country: the rollup
    that every count, chart and API answer reads (raw hits are kept only for a few days)."""

    __tablename__ = "download_daily"
    __table_args__ = (
        UniqueConstraint("episode_id", "day", "app", "country", name="uq_download_daily"),
        Index("ix_download_daily_show_day", "show_id", "day"),
        Index("ix_download_daily_episode_day", "episode_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("show.id", ondelete="CASCADE"))
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)  # UTC
    # The app's display name ("Apple Podcasts", "Spotify", "Overcast", "Browser", "Other").
    app: Mapped[str] = mapped_column(String(64), default="Other")
    # ISO 3166-1 alpha-2, upper case; "" when the address has no known country.
    country: Mapped[str] = mapped_column(String(2), default="")
    downloads: Mapped[int] = mapped_column(Integer, default=0)


class DownloadShowAppDaily(Model):
    """A show's downloads on one UTC day through one app, kept equal to download_daily by its
    triggers (podcast.analytics.summary_sql): what the show's days and apps read."""

    __tablename__ = "download_show_app_daily"

    show_id: Mapped[int] = mapped_column(
        ForeignKey("show.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    app: Mapped[str] = mapped_column(String(64), primary_key=True)
    downloads: Mapped[int] = mapped_column(Integer, default=0)


class DownloadShowCountryDaily(Model):
    """A show's downloads on one UTC day from one country (triggers, as above)."""

    __tablename__ = "download_show_country_daily"

    show_id: Mapped[int] = mapped_column(
        ForeignKey("show.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    downloads: Mapped[int] = mapped_column(Integer, default=0)


class DownloadEpisodeDaily(Model):
    """An episode's downloads on one UTC day (triggers, as above): its first days read these."""

    __tablename__ = "download_episode_daily"

    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    downloads: Mapped[int] = mapped_column(Integer, default=0)


def _summary_triggers() -> None:
    """Create the summaries' triggers once every table exists, when the schema is made without
    migrations (create_all: tests, benches); migration 0020 makes them otherwise."""
    for dialect, statements in (
        ("sqlite", summary_sql.SQLITE_TRIGGERS),
        ("postgresql", summary_sql.POSTGRESQL_TRIGGERS),
    ):
        for statement in statements:
            event.listen(Model.metadata, "after_create", DDL(statement).execute_if(dialect=dialect))


_summary_triggers()


class DownloadHit(Model):
    """What one listener took of one file on one UTC day, as the counting route or a log
    ingest saw it: raw, kept ANALYTICS_RETENTION_DAYS, then only download_daily remains.

    No address is kept: `listener` is an HMAC of the address (IPv6 cut to /64) and user agent
    under that day's key (AnalyticsKey), which is destroyed once the day is over.
    """

    __tablename__ = "download_hit"
    __table_args__ = (
        Index("ix_download_hit_listener", "episode_id", "day", "listener"),
        # Pending hits are few (the rollup runs each minute). No index on day alone: SQLite
        # would take it for the rollup's listener lookups and scan the whole day each time;
        # the nightly purge may scan.
        Index("ix_download_hit_processed", "processed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign keys: recording never waits on, or fails for, an episode deleted meanwhile
    # (the rollup skips hits whose episode is gone).
    show_id: Mapped[int] = mapped_column(Integer)
    episode_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)  # UTC
    listener: Mapped[str] = mapped_column(String(32))
    app: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    # The span of the file taken; byte_start -1: only its length is known (some log formats).
    byte_start: Mapped[int] = mapped_column(BigInteger)
    byte_count: Mapped[int] = mapped_column(BigInteger)
    # Bytes that make a download of this file (its header plus one minute, or all of it).
    needed: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))  # route | s3 | cloudfront | combined
    processed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnalyticsKey(Model):
    """The secret that turns a day's listeners into HMACs; deleted once the day is over, so no
    listener of one day can be linked to the next."""

    __tablename__ = "analytics_key"

    day: Mapped[date] = mapped_column(Date, primary_key=True)  # UTC
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IngestState(Model):
    """How far `podcast analytics ingest` read one log (a file or an s3:// object), so that
    no line is ever counted twice."""

    __tablename__ = "analytics_ingest"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(1000), unique=True)
    # SHA-256 of the log's first bytes: a rotated or replaced file is read afresh.
    fingerprint: Mapped[str] = mapped_column(String(64))
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    broken: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
