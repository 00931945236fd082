"""Consistency between storage and the database: find and remove what a crash left behind."""

from __future__ import annotations

import fcntl
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from podcast.errors import NotFoundError
from podcast.models import Episode, EpisodeStatus, Guest, MediaAsset, Show, utcnow
from podcast.notify.events import episode_changed, public_face
from podcast.services import replaced
from podcast.services.processing import WORK_DIR_LOCK, WORK_DIR_PREFIX
from podcast.services.shows import bump_revision
from podcast.services.uploads import TEMP_PREFIX, delete_objects
from podcast.storage import LocalStorage, Storage
from podcast.storage.local import INCOMING_DIR
from podcast.wording import say, say_plural


@dataclass
class CheckResult:
    """What `podcast check` found and, with --fix, did."""

    orphan_objects: list[str] = field(default_factory=list)
    missing_objects: list[str] = field(default_factory=list)
    stale_assets: list[str] = field(default_factory=list)
    incomplete_uploads: list[str] = field(default_factory=list)
    temp_files: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    masters_missing: list[str] = field(default_factory=list)
    # Kept for apps holding an older feed; past their grace period they are due, not a problem.
    replaced_due: list[str] = field(default_factory=list)
    fixed: bool = False

    @property
    def problems(self) -> int:
        """How many problems were found."""
        return (
            len(self.orphan_objects) + len(self.missing_objects) + len(self.stale_assets)
            + len(self.incomplete_uploads) + len(self.temp_files)
        )  # fmt: skip

    def lines(self) -> list[str]:
        """A report for people, one finding a line (Sentences, for the admin's languages)."""
        fixed = self.fixed
        out: list[str] = [
            say("object without a row (removed): %(key)s", key=k)
            if fixed
            else say("object without a row (found): %(key)s", key=k)
            for k in self.orphan_objects
        ]
        out += [say("row without an object: %(key)s", key=k) for k in self.missing_objects]
        out += [
            say("upload never attached to anything (removed): %(key)s", key=k)
            if fixed
            else say("upload never attached to anything (found): %(key)s", key=k)
            for k in self.stale_assets
        ]
        out += [
            say("incomplete upload (removed): %(key)s", key=k)
            if fixed
            else say("incomplete upload (found): %(key)s", key=k)
            for k in self.incomplete_uploads
        ]
        out += [
            say("temporary upload file (removed): %(path)s", path=p)
            if fixed
            else say("temporary upload file (found): %(path)s", path=p)
            for p in self.temp_files
        ]
        out += [
            say("episode moved to draft, its audio is missing: %(title)s", title=t)
            for t in self.unpublished
        ]
        out += [
            say("master missing, the episode can't be re-processed: %(title)s", title=t)
            for t in self.masters_missing
        ]
        out += [
            say("replaced object past its grace period (removed): %(key)s", key=k)
            if fixed
            else say("replaced object past its grace period (to remove with --fix): %(key)s", key=k)
            for k in self.replaced_due
        ]
        count = self.problems
        out.append(
            say("storage and database agree")
            if not count
            else say_plural("%(count)s problem", "%(count)s problems", count, count=count)
        )
        return out


def _unattached_assets(session: Session) -> list[MediaAsset]:
    used = [
        select(Episode.audio_id), select(Episode.image_id), select(Episode.transcript_id),
        select(Episode.master_id), select(Guest.photo_id), select(Show.artwork_id),
    ]  # fmt: skip
    condition = or_(*(MediaAsset.id.in_(q.where(q.selected_columns[0].is_not(None))) for q in used))
    return list(session.scalars(select(MediaAsset).where(~condition)))


def _in_use(path: Path) -> bool:
    """True while a live process stages into the file (uploads.staged holds a lock on it)."""
    with path.open("rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def stale_temp_files(older_than: int, storage: Storage | None = None) -> list[Path]:
    """Upload staging files (podcast-upload-*) a killed worker left in the temp directory, or
    in the media root's temp area when the storage is a local disk."""
    cutoff = time.time() - older_than
    found = []
    places = [Path(tempfile.gettempdir())]
    if isinstance(storage, LocalStorage):
        places.append(storage.root / INCOMING_DIR)
    for path in (p for place in places for p in place.glob(f"{TEMP_PREFIX}*")):
        try:
            if path.is_file() and path.stat().st_mtime <= cutoff and not _in_use(path):
                found.append(path)
            elif (
                path.is_dir()
                and path.name.startswith(WORK_DIR_PREFIX)
                and path.stat().st_mtime <= cutoff
                and not _in_use(path / WORK_DIR_LOCK)
            ):  # a processing job killed mid-way left it
                found.append(path)
        except FileNotFoundError:  # its upload just finished
            continue
    return sorted(found)


def check_storage(
    session: Session,
    storage: Storage,
    *,
    fix: bool,
    older_than: int,
    now: datetime | None = None,
) -> CheckResult:
    """Compare storage with the media rows; with `fix`, delete orphans, stale uploads and
    replaced objects past their grace period (never before).

    Staging files in this host's temp directory count too: run it where the workers run.
    """
    now = now or utcnow()
    result = CheckResult(fixed=fix)
    cutoff = now - timedelta(seconds=older_than)
    known = {a.key: a for a in session.scalars(select(MediaAsset))}
    stored = set(storage.iter_keys())
    due = replaced.past_grace(session, now)
    result.replaced_due = sorted(r.key for r in due if r.key in stored)
    for key in sorted(stored - known.keys() - replaced.kept_keys(session)):
        try:
            if storage.stat(key).last_modified <= cutoff:
                result.orphan_objects.append(key)
        except NotFoundError:
            continue
    result.missing_objects = sorted(set(known) - stored)
    result.stale_assets = sorted(
        a.key for a in _unattached_assets(session) if a.created_at <= cutoff and a.key in stored
    )
    result.incomplete_uploads = storage.incomplete_uploads(started_before=cutoff)
    temp_files = stale_temp_files(older_than, storage)
    result.temp_files = [str(p) for p in temp_files]
    if result.missing_objects:
        missing = set(result.missing_objects)
        for episode in session.scalars(select(Episode).join(Episode.master)).all():
            if episode.master is not None and episode.master.key in missing:
                result.masters_missing.append(episode.title)
        for episode in session.scalars(select(Episode).join(Episode.audio)).all():
            audio_key = episode.audio.key if episode.audio else None
            if audio_key in missing and episode.status != EpisodeStatus.DRAFT:
                result.unpublished.append(episode.title)
                if fix:
                    moment = utcnow()
                    before = public_face(episode, moment)
                    episode.status = EpisodeStatus.DRAFT
                    bump_revision(episode.show, moment)  # the cached feed must drop it
                    episode_changed(session, episode, before, moment)  # webhooks hear of it
    if fix:
        for asset in _unattached_assets(session):
            if asset.key in result.stale_assets:
                session.delete(asset)
        for row in due:
            session.delete(row)
        session.commit()
        delete_objects(storage, result.orphan_objects + result.stale_assets + result.replaced_due)
        storage.abort_incomplete_uploads(started_before=cutoff)
        for path in temp_files:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    return result
