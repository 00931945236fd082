"""The tags of published MP3s: what an episode's tags should say, whether its file says it, and
the job that writes a tagged copy as a new object (keys are never reused), swaps it in and
sends the old one through the replaced-media grace period. M4A files are never touched.

Saving a form only queues the job (`queue_tags`); several edits before it runs are written
once, by whichever job runs first (the others find the file already says what they would).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.audio import inspect as audio
from podcast.audio.tags import TagChapter, TagInfo, write_tags
from podcast.jobs.outbox import enqueue
from podcast.models import Episode, EpisodeStatus, MediaAsset, Show, utcnow
from podcast.services.locks import lock_row
from podcast.services.replaced import retire
from podcast.services.shows import bump_revision
from podcast.storage import Storage, new_media_key
from podcast.storage.incoming import open_staging_file

log = logging.getLogger(__name__)
AUDIO_TAGS = "audio_tags"  # the job kind (its handler: podcast.jobs.builtin)
MP3 = "audio/mpeg"


def _cover_asset(episode: Episode) -> MediaAsset | None:
    """The art the tags carry: the episode's own, else the show's."""
    return episode.image or episode.show.artwork


def _released(episode: Episode) -> datetime | None:
    """The release time in the show's time zone (the date listeners see on its pages)."""
    if episode.publish_at is None:
        return None
    try:
        zone = ZoneInfo(episode.show.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return episode.publish_at.astimezone(zone)


def tag_info(
    episode: Episode, *, link: str, cover: bytes | None = None, duration: float | None = None
) -> TagInfo:
    """What the tags of the episode's MP3 say; `link` is its page, `cover` the art's bytes,
    `duration` the file's (default: the episode's audio's), where the last chapter ends."""
    show = episode.show
    return TagInfo(
        title=episode.title,
        album=show.title,
        author=show.author,
        released=_released(episode),
        number=episode.number,
        season=episode.season,
        summary=episode.summary,
        link=link,
        language=show.language,
        cover=cover,
        chapters=tuple(
            TagChapter(float(c["start"]), str(c["title"]), c.get("url"))
            for c in episode.effective_chapters
        ),
        duration=duration or (episode.audio.duration_seconds if episode.audio else None),
    )


def wanted_fingerprint(episode: Episode) -> str:
    """The fingerprint of the tags the episode's file should carry, from the rows alone (the
    art counts by its SHA-256, the link by the show's handle and the episode's slug). The
    duration does not count: it changes only with the file, and a new file has no
    fingerprint until it is tagged."""
    cover = _cover_asset(episode)
    info = replace(tag_info(episode, link=f"{episode.show.handle}/{episode.slug}"), duration=None)
    return info.fingerprint(cover_sha256=cover.sha256 if cover else "")


def tags_due(episode: Episode) -> str | None:
    """The fingerprint to write when the episode's MP3 should be (re)tagged, else None: drafts
    wait until they are published or scheduled, M4A files keep the tags they came with."""
    asset = episode.audio
    if asset is None or asset.mime_type != MP3 or episode.status == EpisodeStatus.DRAFT:
        return None
    wanted = wanted_fingerprint(episode)
    return None if asset.tags_sha256 == wanted else wanted


def queue_tags(session: Session, episode: Episode) -> None:
    """Queue the tag rewrite in the caller's transaction when one is due (one job per file and
    wanted state: saving the same thing twice queues it once)."""
    wanted = tags_due(episode)
    if wanted is None or episode.audio is None:
        return
    session.flush()  # the episode and its file have ids
    enqueue(
        session,
        AUDIO_TAGS,
        {"episode_id": episode.id},
        show_id=episode.show_id,
        dedupe_key=f"{AUDIO_TAGS}:{episode.id}:{episode.audio.id}:{wanted[:32]}",
    )


def write_episode_tags(
    storage: Storage, episode: Episode, path: Path, *, link: str, duration: float | None = None
) -> str:
    """Write the episode's tags into the MP3 at `path` (a new file about to be stored, e.g. an
    encoded master, of `duration` seconds); returns the fingerprint to keep in its
    MediaAsset's `tags_sha256`, so that no job writes the same tags again."""
    cover = _read(storage, _cover_asset(episode))
    write_tags(path, tag_info(episode, link=link, cover=cover, duration=duration))
    return wanted_fingerprint(episode)


def show_tag_fields(show: Show | None) -> tuple[Any, ...] | None:
    """What of a show its episodes' tags carry (read before a save, for queue_show_tags)."""
    if show is None:
        return None
    return (show.title, show.author, show.language, show.artwork_id)


def queue_show_tags(session: Session, show: Show, before: tuple[Any, ...] | None) -> int:
    """After a show's settings were saved: when its title, author, language or artwork changed
    (`before`: show_tag_fields read before the save), queue the tag rewrite of every published
    or scheduled MP3 of the show whose tags it changes, and commit; returns how many."""
    if before is None or show_tag_fields(show) == before:
        return 0
    statement = select(Episode).where(
        Episode.show_id == show.id,
        Episode.status != EpisodeStatus.DRAFT,
        Episode.audio_id.is_not(None),
    )
    queued = 0
    for episode in session.scalars(statement):
        if tags_due(episode) is not None:
            queue_tags(session, episode)
            queued += 1
    session.commit()
    return queued


def _download(storage: Storage, key: str, path: Path) -> None:
    with path.open("wb") as out:
        for chunk in storage.open_range(key):
            out.write(chunk)


def _read(storage: Storage, asset: MediaAsset | None) -> bytes | None:
    return b"".join(storage.open_range(asset.key)) if asset is not None else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _tagged_copy(old: MediaAsset, key: str, path: Path, fingerprint: str) -> MediaAsset:
    """The row of the tagged file: what the old one knew of the audio (the frames are the
    same), with the new object's size and hash."""
    return MediaAsset(
        key=key,
        kind="audio",
        episode_guid=old.episode_guid,
        mime_type=old.mime_type,
        size_bytes=path.stat().st_size,
        sha256=_sha256(path),
        duration_seconds=old.duration_seconds,
        bitrate=old.bitrate,
        sample_rate=old.sample_rate,
        channels=old.channels,
        chapters=list(old.chapters or []),  # the upload's own chapters, as it came
        warnings=list(old.warnings or []),
        warnings_wording=old.warnings_wording,
        original_filename=old.original_filename,
        waveform=old.waveform,
        loudness=old.loudness,  # the same audio frames: the same loudness
        tags_sha256=fingerprint,
    )


def retag(
    session: Session,
    storage: Storage,
    episode_id: int,
    *,
    link_for: Callable[[Episode], str],
    grace: timedelta,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Write the episode's tags into a copy of its MP3 stored under a new key, and point the
    episode at it; the old object is kept for `grace` like any replaced file. Nothing changes
    when no rewrite is due or the audio was replaced meanwhile (that save queued its own)."""
    episode = session.get(Episode, episode_id)
    if episode is None or episode.audio is None:
        return {"written": False}
    wanted = tags_due(episode)
    if wanted is None:
        return {"written": False, "key": episode.audio.key}
    old = episode.audio
    # Locked while open: `podcast check` tells this working copy from a crashed one's leftover.
    fd, name = open_staging_file(suffix=".mp3")
    path = Path(name)
    key = new_media_key(episode.guid, "mp3", "audio")
    stored = False
    try:
        _download(storage, old.key, path)
        write_episode_tags(storage, episode, path, link=link_for(episode))
        checked = audio.inspect(path)  # what players will read: still the same audio
        audio.require_episode_format(checked)
        new = _tagged_copy(old, key, path, wanted)
        with path.open("rb") as handle:
            storage.put(key, handle, content_type=MP3, size=new.size_bytes)
        stored = True
        if not lock_row(session, Episode, episode_id):
            raise LookupError("the episode was deleted")
        session.expire(episode, ["audio_id", "audio"])
        if episode.audio_id != old.id:
            raise LookupError("the episode's audio was replaced")
        now = now or utcnow()
        episode.audio = new
        doomed = retire(session, [old], episode_id=episode.id, now=now, grace=grace)
        bump_revision(episode.show, now, public=episode.status == EpisodeStatus.PUBLISHED)
        session.commit()
    except LookupError:
        session.rollback()
        storage.delete(key)
        return {"written": False}  # nothing to retry: the episode or its audio is gone
    except BaseException:
        session.rollback()
        if stored:
            storage.delete(key)
        raise
    finally:
        path.unlink(missing_ok=True)  # removed first, then unlocked (as uploads do)
        os.close(fd)
    for doomed_key in doomed:
        storage.delete(doomed_key)
    return {"written": True, "key": key, "size_bytes": new.size_bytes}
