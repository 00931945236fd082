"""The import tables: one row per import run (its report), one per source episode (its state)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from podcast.extensions import Model
from podcast.models import GUID_MAX, UTCDateTime, enum_column, utcnow

URL_MAX = 2000


class ImportState(enum.StrEnum):
    """Where an import run stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ItemState(enum.StrEnum):
    """Where one source episode stands: done (imported, up to date) or failed (will be tried
    again by the next run); pending while a run works on it."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class FeedImport(Model):
    """One run of the import of a source feed into a show: what it found, did and refused."""

    __tablename__ = "feed_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int | None] = mapped_column(
        ForeignKey("show.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    source_url: Mapped[str] = mapped_column(String(URL_MAX))  # as given
    feed_url: Mapped[str] = mapped_column(String(URL_MAX), default="")  # as recorded (301s)
    state: Mapped[ImportState] = mapped_column(
        enum_column(ImportState, "import_state"), default=ImportState.QUEUED
    )
    # {"episodes", "imported", "updated", "unchanged", "failed"}
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # {"lines": [...], "lines_wording": [...], "episodes": [{"guid", "title", "state", ...}]}
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    # podcast:locked yes overridden by an admin typing the owner email the feed declares.
    locked_override_email: Mapped[str] = mapped_column(String(255), default="")
    locked_override_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    locked_override_actor: Mapped[str] = mapped_column(String(255), default="")
    locked_override_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedImportItem(Model):
    """One source episode of a show's import (by guid): its episode once made, a digest of what
    the source said when it was last applied, and how the last attempt went. Kept across runs:
    a sync compares with it, an interrupted run resumes from it."""

    __tablename__ = "feed_import_item"
    __table_args__ = (UniqueConstraint("show_id", "guid", name="uq_feed_import_item_show_guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("show.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(String(GUID_MAX))
    episode_id: Mapped[int | None] = mapped_column(
        ForeignKey("episode.id", ondelete="SET NULL"), index=True
    )
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("feed_import.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[ItemState] = mapped_column(
        enum_column(ItemState, "import_item_state"), default=ItemState.PENDING
    )
    # SHA-256 of the source's fields (apply.digest); "" until applied once.
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    # The enclosure the stored media came from: a new URL or length downloads it again.
    enclosure_url: Mapped[str] = mapped_column(String(URL_MAX), default="")
    enclosure_length: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str] = mapped_column(Text, default="")
    error_wording: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
