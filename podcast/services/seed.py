"""Load the show, guests and episodes from a folder of TOML and Markdown files (idempotent)."""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.errors import PodcastError
from podcast.models import Episode, Guest, Show
from podcast.services import queries
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, create_episode
from podcast.services.guests import create_guest, parse_guest_input
from podcast.services.shows import parse_show_input, save_show
from podcast.services.uploads import Upload
from podcast.storage import Storage


@dataclass
class LoadReport:
    """What a load did: lines for people, and the files that failed."""

    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_front_matter(path: Path) -> tuple[dict[str, Any], str]:
    """Split a Markdown file with TOML front matter between +++ lines; raises ValueError."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("+++"):
        return {}, text.strip()
    try:
        _, front, body = text.split("+++", 2)
    except ValueError:
        raise ValueError("the front matter opened with +++ is never closed") from None
    try:
        return tomllib.loads(front), body.strip()
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"front matter is not valid TOML ({exc})") from None


def _load_show(
    session: Session,
    storage: Storage,
    root: Path,
    feed_url: str,
    report: LoadReport,
    primary: bool,
) -> Show:
    path = root / "show.toml"
    if primary and not path.is_file():  # episodes for a show already set up, no show.toml
        found = queries.primary_show(session)
        if found is not None:
            report.skipped.append(f"show “{found.title}” (already loaded)")
            return found
    settings = tomllib.loads(path.read_text(encoding="utf-8"))
    if not primary:  # shows/<handle>/show.toml: the folder names the show
        settings.setdefault("handle", root.name)
        if settings["handle"] != root.name:
            raise ValueError(f"field 'handle': must be the folder's name, {root.name!r}")
    handle = settings.get("handle")
    existing = queries.show_by_handle(session, handle) if handle else None
    if existing is None and primary:
        existing = queries.primary_show(session)
    if existing is not None:
        report.skipped.append(f"show “{existing.title}” (already loaded)")
        return existing
    cover = settings.pop("cover", None)
    data = parse_show_input(settings)
    if cover:
        with (root / cover).open("rb") as handle:
            show = save_show(
                session, storage, None, data, artwork=Upload(handle, cover), feed_url=feed_url
            )
    else:
        show = save_show(session, storage, None, data, feed_url=feed_url)
    report.added.append(f"show “{show.title}”")
    return show


def _load_guests(session: Session, root: Path, report: LoadReport) -> dict[str, Guest]:
    guests: dict[str, Guest] = {}
    for path in sorted((root / "guests").glob("*.md")):
        slug = path.stem
        existing = session.scalar(select(Guest).where(Guest.slug == slug))
        if existing is not None:
            guests[slug] = existing
            report.skipped.append(f"guest {existing.name} (already loaded)")
            continue
        try:
            front, bio = read_front_matter(path)
            data = parse_guest_input({**front, "bio": bio})
        except (ValueError, PodcastError) as exc:
            report.errors.append(f"{path}: {_describe(exc)}")
            continue
        guest = create_guest(session, data)
        if guest.slug != slug:  # the file name is the guest's identity in this folder
            guest.slug = slug
            session.commit()
        guests[slug] = guest
        report.added.append(f"guest {guest.name}")
    return guests


def _describe(exc: Exception) -> str:
    if isinstance(exc, PodcastError) and exc.fields:
        return "; ".join(f"field '{k}': {v}" for k, v in exc.fields.items())
    return str(exc)


def _load_episode(
    session: Session,
    storage: Storage,
    show: Show,
    folder: Path,
    guests: dict[str, Guest],
    report: LoadReport,
) -> None:
    path = folder / "episode.md"
    try:
        front, notes = read_front_matter(path)
        # Without a guid in the file, the folder name is the episode's identity, so a second
        # load finds it again instead of adding a copy.
        guid = front.get("guid") or str(uuid.uuid5(uuid.UUID(show.podcast_guid), folder.name))
        if session.scalar(select(Episode.id).where(Episode.guid == guid)):
            report.skipped.append(f"episode “{front.get('title', folder.name)}” (already loaded)")
            return
        unknown = [g for g in front.get("guests", []) if g not in guests]
        if unknown:
            raise ValueError(f"field 'guests': no file guests/{unknown[0]}.md")
        raw = {
            **{k: v for k, v in front.items() if k not in {"audio", "guid", "guests", "slug"}},
            "description": notes,
            "guests": [guests[g].id for g in front.get("guests", [])],
        }
        data = parse_episode_input(raw, partial=False, timezone=show.timezone)
        audio_name = front.get("audio")
        if not audio_name or not (folder / audio_name).is_file():
            raise ValueError(f"field 'audio': file {audio_name!r} not found beside episode.md")
        with (folder / audio_name).open("rb") as handle:
            episode = create_episode(
                session, storage, show, data,
                Attachments(audio=Upload(handle, audio_name)), max_bytes=2**40, guid=guid,
            )  # fmt: skip
        if front.get("slug"):
            episode.slug = front["slug"]
            session.commit()
    except (ValueError, PodcastError, OSError) as exc:
        session.rollback()
        report.errors.append(f"{path}: {_describe(exc)}")
        return
    seconds = episode.audio.duration_seconds if episode.audio else 0.0
    report.added.append(f"episode “{episode.title}” ({seconds:.1f} s)")


def load_folder(
    session: Session,
    storage: Storage,
    root: Path,
    feed_url: str,
    feed_url_of: Callable[[str], str] | None = None,
) -> LoadReport:
    """Load show.toml (the primary show, its feed at `feed_url`), guests/*.md and
    */episode.md, then each further show in shows/<handle>/ (show.toml and its episode
    folders; its feed at `feed_url_of(handle)`). A bad file is reported and skipped."""
    report = LoadReport()
    try:
        show = _load_show(session, storage, root, feed_url, report, primary=True)
    except (ValueError, PodcastError, OSError) as exc:
        report.errors.append(f"{root / 'show.toml'}: {_describe(exc)}")
        return report
    guests = _load_guests(session, root, report)
    _load_episodes(session, storage, show, root, guests, report)
    for folder in sorted(p for p in (root / "shows").glob("*") if (p / "show.toml").is_file()):
        try:
            site = feed_url.removesuffix("/feed.xml")
            url = (
                feed_url_of(folder.name) if feed_url_of else f"{site}/shows/{folder.name}/feed.xml"
            )
            other = _load_show(session, storage, folder, url, report, primary=False)
        except (ValueError, PodcastError, OSError) as exc:
            session.rollback()
            report.errors.append(f"{folder / 'show.toml'}: {_describe(exc)}")
            continue
        _load_episodes(session, storage, other, folder, guests, report)
    return report


def _load_episodes(
    session: Session,
    storage: Storage,
    show: Show,
    root: Path,
    guests: dict[str, Guest],
    report: LoadReport,
) -> None:
    for folder in sorted(p for p in root.iterdir() if (p / "episode.md").is_file()):
        _load_episode(session, storage, show, folder, guests, report)
