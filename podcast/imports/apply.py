"""An import run: the source read, the show brought up to date, then each new or changed
episode applied (media downloaded a few at a time, database writes on this thread only)."""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.errors import ConflictError
from podcast.imports.episode import apply_episode, digest
from podcast.imports.fetcher import Fetcher
from podcast.imports.guests import GuestMatcher
from podcast.imports.media import ImportOptions
from podcast.imports.prepare import Prepared, prepare
from podcast.imports.records import FeedImport, FeedImportItem, ImportState, ItemState
from podcast.imports.report import Report, size_text
from podcast.imports.show_fields import apply_show
from podcast.imports.source import SourceEpisode, SourceShow
from podcast.models import Episode, Show, utcnow
from podcast.services.shows import Actor
from podcast.storage import Storage
from podcast.wording import say

Progress = Callable[[float, str], None]


def _quiet(percent: float, message: str) -> None:
    """No one is watching (the command line prints the report at the end)."""


@dataclass
class Work:
    """One source episode and what it needs: nothing (unchanged), or applying, with its media
    downloaded again or not."""

    source: SourceEpisode
    item: FeedImportItem
    unchanged: bool
    needs_media: bool

    @property
    def size(self) -> int:
        """The enclosure's length as the source states it (0 when unknown)."""
        enclosure = self.source.enclosure
        return enclosure.length or 0 if enclosure is not None and self.needs_media else 0


def locked_refusal(source: SourceShow) -> str:
    """The sentence refusing a locked feed."""
    return say(
        "The feed is locked (podcast:locked yes): its owner does not allow it to be imported "
        "elsewhere. An admin may import it anyway by typing the owner email the feed declares.",
    )


def check_lock(source: SourceShow, override_email: str) -> bool:
    """True when the feed is locked and the override names its owner; ConflictError when it
    is locked and not overridden."""
    if not source.locked:
        return False
    owner = source.locked_owner_email.strip().casefold()
    if owner and override_email.strip().casefold() == owner:
        return True
    raise ConflictError(locked_refusal(source), fields={"override_email": locked_refusal(source)})


def unique_episodes(source: SourceShow, report: Report) -> list[SourceEpisode]:
    """The source's episodes, oldest first, each guid once (a duplicate is a report line)."""
    seen: set[str] = set()
    chosen = []
    for episode in source.episodes:
        if episode.guid in seen:
            report.line(
                say("The feed has the guid %(guid)s twice; the second item was left out.",
                    guid=episode.guid)
            )  # fmt: skip
            continue
        seen.add(episode.guid)
        chosen.append(episode)
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(chosen, key=lambda e: e.published_at or far)


def plan(
    session: Session, show: Show, episodes: list[SourceEpisode], *, write: bool = True
) -> list[Work]:
    """Each episode's work, its import state created (committed, when `write`) where it had
    none."""
    items = {i.guid: i for i in session.scalars(select(FeedImportItem).where(
        FeedImportItem.show_id == show.id))}  # fmt: skip
    for episode in episodes:
        if episode.guid not in items:
            items[episode.guid] = FeedImportItem(
                show_id=show.id, guid=episode.guid, state=ItemState.PENDING, source_sha256="",
                enclosure_url="",
            )  # fmt: skip
            if write:
                session.add(items[episode.guid])
    if write:
        session.commit()
    with_audio = set(session.scalars(select(Episode.id).where(
        Episode.show_id == show.id, Episode.audio_id.is_not(None))))  # fmt: skip
    works = []
    for episode in episodes:
        item = items[episode.guid]
        has_audio = item.episode_id in with_audio
        enclosure = episode.enclosure
        same_media = (
            has_audio
            and enclosure is not None
            and ((item.enclosure_url, item.enclosure_length) == (enclosure.url, enclosure.length))
        )
        unchanged = (
            item.state == ItemState.DONE and has_audio and (item.source_sha256 == digest(episode))
        )
        works.append(Work(episode, item, unchanged, not same_media))
    return works


def find_show(session: Session, feed_url: str, source_url: str) -> Show | None:
    """The show an earlier import of this feed made (a sync), if any."""
    return session.scalar(
        select(Show).where(Show.source_feed_url.in_({feed_url, source_url})).order_by(Show.id)
    )


def run_import(
    session: Session,
    storage: Storage,
    feed_import: FeedImport,
    *,
    fetcher: Fetcher,
    options: ImportOptions,
    handle: str | None = None,
    actor: Actor | None = None,
    progress: Progress = _quiet,
    now: datetime | None = None,
) -> Report:
    """Run (or resume) one import: what is new is imported, what changed is updated, what
    failed is reported; the run's row keeps the report. Refusals (a locked feed, not a feed)
    raise their PodcastError before anything is written."""
    report = Report()
    import_id = feed_import.id
    progress(1, say("Reading the feed at %(url)s.", url=feed_import.source_url))
    source = fetcher.read_source(feed_import.source_url, allow_private=options.allow_private)
    overridden = check_lock(source, feed_import.locked_override_email)
    feed_import = session.get(FeedImport, import_id) or feed_import
    if overridden and feed_import.locked_override_at is None:
        feed_import.locked_override_at = utcnow()
        feed_import.locked_override_by = feed_import.user_id
        feed_import.locked_override_actor = actor.name if actor else ""
        report.line(
            say("The feed is locked; the lock was overridden by %(who)s, who typed the owner "
                "email %(email)s.", who=feed_import.locked_override_actor or "an admin",
                email=source.locked_owner_email)
        )  # fmt: skip
    for problem in source.problems:
        report.line(problem)
    show = session.get(Show, feed_import.show_id) if feed_import.show_id else None
    show = show or find_show(session, source.feed_url, feed_import.source_url)
    feed_import.state = ImportState.RUNNING
    session.commit()
    progress(3, say("Bringing the show up to date."))
    show = apply_show(
        session, storage, show, source, handle=handle, fetcher=fetcher, options=options,
        report=report, **({"actor": actor} if actor else {}),
    )  # fmt: skip
    feed_import = session.get(FeedImport, import_id) or feed_import
    feed_import.show_id, feed_import.feed_url = show.id, source.feed_url
    session.commit()
    works = plan(session, show, unique_episodes(source, report))
    report.episodes = len(works)
    _apply_all(session, storage, show, works, source, fetcher, options, report, import_id,
               progress, now or utcnow())  # fmt: skip
    feed_import = session.get(FeedImport, import_id) or feed_import
    feed_import.state = ImportState.DONE
    feed_import.counts = report.counts()
    feed_import.report = report.as_json()
    feed_import.finished_at = utcnow()
    session.commit()
    progress(100, report.summary())
    return report


def _apply_all(
    session: Session,
    storage: Storage,
    show: Show,
    works: list[Work],
    source: SourceShow,
    fetcher: Fetcher,
    options: ImportOptions,
    report: Report,
    import_id: int,
    progress: Progress,
    now: datetime,
) -> None:
    """Download ahead in a small pool (bounded: at most 2 x concurrency files wait on disk),
    apply in order on this thread."""
    todo = [w for w in works if not w.unchanged]
    report.unchanged = len(works) - len(todo)
    for work in works:
        if work.unchanged:
            report.entry(work.source.guid, work.source.title, "unchanged")
    total_bytes = sum(w.size for w in todo) or 1
    done_bytes = 0
    matcher = GuestMatcher(session)
    pool = cf.ThreadPoolExecutor(max_workers=max(1, options.concurrency))
    ahead = max(1, options.concurrency) * 2
    futures: dict[int, cf.Future[Prepared]] = {}

    def submit(index: int) -> None:
        if index < len(todo) and index not in futures:
            work = todo[index]
            futures[index] = pool.submit(
                prepare,
                fetcher,
                work.source,
                options,
                media=work.needs_media,
                storage=storage,
            )

    try:
        for index in range(min(ahead, len(todo))):
            submit(index)
        for index, work in enumerate(todo):
            session.commit()  # SQLite: progress is written on another connection
            progress(
                5 + 94 * done_bytes / total_bytes,
                say(
                    "Downloading episode %(n)s of %(total)s, %(done)s of %(all)s.",
                    n=index + 1, total=len(todo), done=size_text(done_bytes),
                    all=size_text(total_bytes),
                ),
            )  # fmt: skip
            prepared = futures.pop(index).result()
            submit(index + ahead)
            try:
                current = session.get(Show, show.id)
                assert current is not None
                outcome = apply_episode(
                    session, storage, current, work.item, work.source, prepared,
                    matcher=matcher, hosts=source.persons, options=options, report=report,
                    import_id=import_id, now=now,
                )  # fmt: skip
            finally:
                done_bytes += prepared.media.size if prepared.media else 0
                prepared.remove()
            if outcome == "imported":
                report.imported += 1
            elif outcome == "updated":
                report.updated += 1
            else:
                report.failed += 1
    finally:
        for future in futures.values():
            future.cancel()
        pool.shutdown(wait=True)
        for future in futures.values():
            if future.done() and not future.cancelled() and future.exception() is None:
                future.result().remove()
