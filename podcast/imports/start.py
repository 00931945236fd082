"""Starting an import: checked, recorded, queued as a job (the form, the API); run at once (the
command line); or only previewed (the form's second step, --dry-run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.errors import ConflictError, ForbiddenError, ValidationError
from podcast.imports.apply import find_show, locked_refusal, plan, unique_episodes
from podcast.imports.fetcher import Fetcher
from podcast.imports.media import ImportOptions
from podcast.imports.records import FeedImport
from podcast.imports.report import Report, size_text
from podcast.imports.show_fields import checked_settings, raw_settings
from podcast.imports.source import SourceShow
from podcast.jobs import Job, JobState, enqueue
from podcast.models import Show, User
from podcast.services import queries
from podcast.services.handles import handle_problem
from podcast.services.shows import podcast_guid_for
from podcast.wording import say

KIND = "feed_import"
MAX_ATTEMPTS = 3


def check_url(url: str) -> str:
    """The feed URL as given, if it is one (ValidationError on `url` otherwise)."""
    url = (url or "").strip()
    if not url.startswith(("https://", "http://")) or len(url) > 2000 or " " in url:
        message = say("Give the feed's full address, starting with https://.")
        raise ValidationError(message, fields={"url": message})
    return url


def target_show(session: Session, handle: str) -> Show | None:
    """The existing show named by handle (None: a new one takes it); refuses a bad handle."""
    handle = (handle or "").strip().lower()
    if not handle:
        return None
    show = queries.show_by_handle(session, handle)
    if show is not None:
        if show.archived:
            message = say("The show '%(title)s' is archived: it takes no new episodes.",
                          title=show.title)  # fmt: skip
            raise ConflictError(message, fields={"show": message})
        return show
    problem = handle_problem(session, handle)
    if problem is not None:
        raise ValidationError(problem, fields={"show": problem})
    return None


def start_import(
    session: Session, *, url: str, handle: str, user: User, override_email: str = ""
) -> tuple[FeedImport, Job]:
    """Record an import and queue its job (admins only); one import of a show at a time."""
    if not user.is_admin:
        raise ForbiddenError(say("Only an admin imports shows."))
    url = check_url(url)
    show = target_show(session, handle)
    if show is None and not handle:
        show = find_show(session, url, url)
    if show is not None:
        # Busy while its job may still run: a worker that died mid-import leaves the import's
        # row "running", but its job is retried or failed by the sweeper, never left so.
        busy = session.scalar(
            select(FeedImport.id)
            .join(Job, Job.id == FeedImport.job_id)
            .where(
                FeedImport.show_id == show.id,
                Job.state.in_([JobState.QUEUED, JobState.RUNNING]),
            )
        )
        if busy is not None:
            raise ConflictError(
                say("An import of '%(title)s' is already under way.", title=show.title)
            )
    feed_import = FeedImport(
        source_url=url, show_id=show.id if show else None, user_id=user.id,
        locked_override_email=(override_email or "").strip(),
    )  # fmt: skip
    session.add(feed_import)
    session.flush()
    job = enqueue(
        session, KIND, {"import_id": feed_import.id, "handle": (handle or "").strip().lower()},
        show_id=show.id if show else None, user_id=user.id, max_attempts=MAX_ATTEMPTS,
    )  # fmt: skip
    session.flush()
    feed_import.job_id = job.id
    session.commit()
    return feed_import, job


@dataclass
class Preview:
    """What an import would do, before it runs."""

    source: SourceShow
    settings: dict[str, Any]
    show: Show | None
    podcast_guid: str
    episodes: int
    new: int
    changed: int
    unchanged: int
    media_bytes: int
    unknown_sizes: int
    locked: bool
    problems: list[str] = field(default_factory=list)

    @property
    def media_size(self) -> str:
        """The total media size for people."""
        return size_text(self.media_bytes)

    def lines(self) -> list[str]:
        """The preview as lines of text (the command line's --dry-run)."""
        s = self.source
        out = [
            f"Feed: {s.feed_url}",
            f"Show: {self.settings.get('title')} ({'sync into ' + self.show.handle if self.show else 'a new show'})",  # noqa: E501
            f"podcast:guid: {self.podcast_guid}",
            f"Author: {s.author}  Owner: {s.owner_name} <{s.owner_email}>",
            f"Language: {s.language}  Type: {s.show_type}  Explicit: {s.explicit}",
            f"Categories: {', '.join(' > '.join(c for c in pair if c) for pair in s.categories)}",
            f"Episodes: {self.episodes} ({self.new} new, {self.changed} changed, "
            f"{self.unchanged} unchanged)",
            f"Media to download: {self.media_size}"
            + (f" (+{self.unknown_sizes} of unknown size)" if self.unknown_sizes else ""),
        ]
        if self.locked:
            out.append(f"Locked: yes (owner {s.locked_owner_email or 'not given'})")
        out.extend(f"Problem: {p}" for p in self.problems)
        return out


def preview_import(
    session: Session, *, url: str, handle: str, fetcher: Fetcher, options: ImportOptions
) -> Preview:
    """Read the source and say what importing it would do; writes nothing."""
    url = check_url(url)
    show = target_show(session, handle)
    source = fetcher.read_source(url, allow_private=options.allow_private)
    show = show or (None if handle else find_show(session, source.feed_url, url))
    report = Report()
    settings = checked_settings(raw_settings(source), report).given()
    episodes = unique_episodes(source, report)
    problems = [*source.problems, *report.lines]
    if source.locked:
        problems.insert(0, locked_refusal(source))
    new = changed = unchanged = 0
    media_bytes = unknown = 0
    works = _dry_plan(session, show, episodes)
    for episode, state in works:
        if state == "unchanged":
            unchanged += 1
            continue
        new, changed = (new + 1, changed) if state == "new" else (new, changed + 1)
        if episode.enclosure is None:
            problems.append(say("“%(title)s” has no enclosure.", title=episode.title))
        elif episode.enclosure.length:
            media_bytes += episode.enclosure.length
        else:
            unknown += 1
    guid = source.podcast_guid or podcast_guid_for(source.feed_url)
    return Preview(
        source, settings, show, guid, len(episodes), new, changed, unchanged, media_bytes,
        unknown, source.locked, problems,
    )  # fmt: skip


def _dry_plan(session: Session, show: Show | None, episodes: list[Any]) -> list[tuple[Any, str]]:
    """plan() without writing: each episode new, changed or unchanged."""
    if show is None:
        return [(e, "new") for e in episodes]
    works = plan(session, show, episodes, write=False)
    return [(w.source, "unchanged" if w.unchanged else ("changed" if w.item.episode_id else "new"))
            for w in works]  # fmt: skip
