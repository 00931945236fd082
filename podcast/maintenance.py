"""Consistency between storage and the database: find and remove what a crash left behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from podcast.errors import NotFoundError
from podcast.models import Episode, EpisodeStatus, Guest, MediaAsset, Show, utcnow
from podcast.storage import Storage
from podcast.uploads import delete_objects


@dataclass
class CheckResult:
    """What `podcast check` found and, with --fix, did."""

    orphan_objects: list[str] = field(default_factory=list)
    missing_objects: list[str] = field(default_factory=list)
    stale_assets: list[str] = field(default_factory=list)
    incomplete_uploads: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    fixed: bool = False

    @property
    def problems(self) -> int:
        """How many problems were found."""
        return (
            len(self.orphan_objects) + len(self.missing_objects) + len(self.stale_assets)
            + len(self.incomplete_uploads)
        )  # fmt: skip

    def lines(self) -> list[str]:
        """A report for people, one finding a line."""
        verb = "removed" if self.fixed else "found"
        out = [f"object without a row ({verb}): {k}" for k in self.orphan_objects]
        out += [f"row without an object: {k}" for k in self.missing_objects]
        out += [f"upload never attached to anything ({verb}): {k}" for k in self.stale_assets]
        out += [f"incomplete upload ({verb}): {k}" for k in self.incomplete_uploads]
        out += [f"episode moved to draft, its audio is missing: {t}" for t in self.unpublished]
        out.append(
            "storage and database agree" if not self.problems else f"{self.problems} problem(s)"
        )
        return out


def _unattached_assets(session: Session) -> list[MediaAsset]:
    used = [
        select(Episode.audio_id), select(Episode.image_id), select(Episode.transcript_id),
        select(Guest.photo_id), select(Show.artwork_id),
    ]  # fmt: skip
    condition = or_(*(MediaAsset.id.in_(q.where(q.selected_columns[0].is_not(None))) for q in used))
    return list(session.scalars(select(MediaAsset).where(~condition)))


def check_storage(session: Session, storage: Storage, *, fix: bool, older_than: int) -> CheckResult:
    """Compare storage with the media rows; with `fix`, delete orphans and stale uploads."""
    result = CheckResult(fixed=fix)
    cutoff = utcnow() - timedelta(seconds=older_than)
    known = {a.key: a for a in session.scalars(select(MediaAsset))}
    stored = set(storage.iter_keys())
    for key in sorted(stored - known.keys()):
        try:
            if storage.stat(key).last_modified <= cutoff:
                result.orphan_objects.append(key)
        except NotFoundError:
            continue
    result.missing_objects = sorted(set(known) - stored)
    result.stale_assets = sorted(
        a.key for a in _unattached_assets(session) if a.created_at <= cutoff and a.key in stored
    )
    result.incomplete_uploads = storage.incomplete_uploads()
    if result.missing_objects:
        missing = set(result.missing_objects)
        for episode in session.scalars(select(Episode).join(Episode.audio)):
            if episode.audio.key in missing and episode.status != EpisodeStatus.DRAFT:
                result.unpublished.append(episode.title)
                if fix:
                    episode.status = EpisodeStatus.DRAFT
    if fix:
        for asset in _unattached_assets(session):
            if asset.key in result.stale_assets:
                session.delete(asset)
        session.commit()
        delete_objects(storage, result.orphan_objects + result.stale_assets)
        storage.abort_incomplete_uploads()
    return result
