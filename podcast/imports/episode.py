"""One source episode applied: created or updated through the same service calls as an upload
(audio inspected and stored exactly like one), in one commit with its import state."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.errors import PodcastError, StorageUnavailableError, ValidationError
from podcast.imports.guests import GuestMatcher, guest_persons
from podcast.imports.markup import html_to_markdown, plain
from podcast.imports.media import ImportOptions
from podcast.imports.prepare import Prepared, rehosted_transcript
from podcast.imports.records import FeedImportItem, ItemState
from podcast.imports.report import Report, duration_wrong, length_wrong, size_text
from podcast.imports.source import SourceEpisode, SourcePerson
from podcast.models import Episode, MediaAsset, Show
from podcast.services.episode_input import (
    DESCRIPTION_MAX,
    NUMBER_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    parse_episode_input,
)
from podcast.services.episodes import Attachments, create_episode, update_episode
from podcast.services.fields import is_language
from podcast.services.markup import html_text
from podcast.services.uploads import Upload
from podcast.wording import record, say

log = logging.getLogger(__name__)
# Fields an import can do without: refused, it is left out and the report says so.
DROPPABLE = ("image", "transcript", "chapters", "transcript_language", "season", "number")


def digest(episode: SourceEpisode) -> str:
    """SHA-256 of everything the source says about the episode (a change means: apply again)."""
    text = json.dumps(asdict(episode), default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _number(value: int | None) -> int | None:
    return value if value is not None and 1 <= value <= NUMBER_MAX else None


def _summary(episode: SourceEpisode) -> str:
    """The item's own summary: "" when it only repeats the notes as plain text (what many
    hosts, this service too, write in itunes:summary when the episode has no summary)."""
    summary = " ".join(plain(episode.summary).split())
    notes = " ".join(html_text(episode.description_html or "").split())
    cut = summary.rstrip("…").rstrip()
    if not summary or summary == notes or (summary.endswith("…") and notes.startswith(cut)):
        return ""
    return summary


def _description(episode: SourceEpisode) -> str:
    notes = html_to_markdown(episode.description_html)
    if " ".join(html_text(episode.description_html).split()) == " ".join(
        plain(episode.title).split()
    ):
        notes = ""  # the title repeated where a feed must have a description: no notes
    kept = rehosted_transcript(episode)
    links = [t for t in episode.transcripts if t is not kept]
    if links:
        lines = [f"- [{t.mime_type or 'transcript'}]({t.url})" for t in links]
        notes = (notes + "\n\n" if notes else "") + "Transcripts:\n\n" + "\n".join(lines)
    return notes[:DESCRIPTION_MAX]


def episode_raw(
    episode: SourceEpisode, show: Show, prepared: Prepared, guest_ids: list[int]
) -> dict[str, Any]:
    """The fields the source states, as parse_episode_input takes them: published at its
    original date (a future one is scheduled by the usual rules)."""
    title = plain(episode.title)[:TITLE_MAX] or plain(episode.guid)[:TITLE_MAX] or "Episode"
    raw: dict[str, Any] = {
        "title": title,
        "summary": _summary(episode)[:SUMMARY_MAX],
        "description": _description(episode),
        "season": _number(episode.season),
        "number": _number(episode.number),
        "episode_type": episode.episode_type or "full",
        "explicit": show.explicit if episode.explicit is None else episode.explicit,
        "status": "published",
        "publish_at": episode.published_at,
        "guests": guest_ids,
    }
    chapters = prepared.chapters if prepared.chapters is not None else episode.chapters
    if chapters:
        raw["chapters"] = [
            {"start": c.start, "title": plain(c.title) or "—", **({"url": c.url} if c.url else {})}
            for c in chapters
        ]
    if prepared.transcript is not None and prepared.transcript_vtt is not None:
        language = prepared.transcript.language.strip()
        if language and is_language(language) and language != show.language:
            raw["transcript_language"] = language
    return raw


def _guest_ids(
    matcher: GuestMatcher, persons: list[SourcePerson], hosts: list[SourcePerson]
) -> list[int]:
    ids = []
    for person in guest_persons(persons, hosts):
        guest = matcher.guest_for(person)
        if guest is not None and guest.id not in ids:
            ids.append(guest.id)
    return ids


def _filename(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1][:255]


def _attachments(
    episode: Episode | None, prepared: Prepared, dropped: set[str], asset: MediaAsset | None
) -> Attachments:
    audio = image = transcript = None
    staged_audio_id = None
    if asset is not None:
        staged_audio_id = asset.id
    elif prepared.media is not None and prepared.media.handle is not None:
        prepared.media.handle.seek(0)
        audio = Upload(prepared.media.handle, _filename(prepared.media.url))
    if prepared.image is not None and prepared.image.handle is not None and "image" not in dropped:
        same = (
            episode is not None
            and episode.image is not None
            and (episode.image.sha256 == prepared.image.sha256())
        )
        if not same:
            prepared.image.handle.seek(0)
            image = Upload(prepared.image.handle, _filename(prepared.image.url))
    if prepared.transcript_vtt is not None and "transcript" not in dropped:
        same = (
            episode is not None
            and episode.transcript is not None
            and (episode.transcript.sha256 == prepared.transcript_sha256)
        )
        if not same:
            import io

            transcript = Upload(io.BytesIO(prepared.transcript_vtt), "transcript.vtt")
    return Attachments(
        audio=audio, staged_audio_id=staged_audio_id, image=image, transcript=transcript
    )


def apply_episode(
    session: Session,
    storage: Any,
    show: Show,
    item: FeedImportItem,
    source: SourceEpisode,
    prepared: Prepared,
    *,
    matcher: GuestMatcher,
    hosts: list[SourcePerson],
    options: ImportOptions,
    report: Report,
    import_id: int,
    now: datetime,
) -> str:
    """Create or update the episode of one source item; returns the outcome (imported, updated
    or failed). A failure leaves no row, no object, and the item marked failed with its why."""
    item_id = item.id
    episode = session.get(Episode, item.episode_id) if item.episode_id else None
    if episode is None:
        episode = session.scalar(
            select(Episode).where(Episode.show_id == show.id, Episode.guid == source.guid)
        )
    dropped: set[str] = set()
    lines = list(prepared.problems)
    try:
        if prepared.media is not None and prepared.media.error:
            raise PodcastError(prepared.media.error)
        if episode is None and source.enclosure is None:
            raise PodcastError(say("The item has no enclosure: there is no audio to import."))
        for _attempt in range(len(DROPPABLE) + 1):
            try:
                outcome = _save(
                    session, storage, show, episode, item, source, prepared, dropped,
                    matcher=matcher, hosts=hosts, options=options, import_id=import_id, now=now,
                )  # fmt: skip
                break
            except ValidationError as exc:
                droppable = [name for name in exc.fields if name in DROPPABLE]
                if not droppable or set(exc.fields) - set(DROPPABLE):
                    raise
                matcher.reload()
                for name in droppable:
                    dropped.add(name)
                    lines.append(
                        say("Its %(name)s was not kept: %(reason)s", name=name,
                            reason=exc.fields[name])
                    )  # fmt: skip
                episode = session.get(Episode, episode.id) if episode is not None else None
                item = session.get(FeedImportItem, item_id) or item
    except StorageUnavailableError:
        raise
    except PodcastError as exc:
        return _failed(session, item_id, source, exc.message, matcher, report, import_id, now)
    except Exception as exc:  # noqa: BLE001 - one odd episode must not stop the others
        log.exception("import: episode %r failed", source.guid)
        message = say("It failed unexpectedly (%(error)s).", error=type(exc).__name__)
        return _failed(session, item_id, source, message, matcher, report, import_id, now)
    saved = session.get(Episode, outcome[1])
    lines.extend(_measured(source, saved))
    title = saved.title if saved is not None else source.title
    for line in lines:
        report.line(say("“%(title)s”: %(line)s", title=title, line=line))
    report.entry(source.guid, title, outcome[0], " ".join(lines))
    return outcome[0]


def _save(
    session: Session,
    storage: Any,
    show: Show,
    episode: Episode | None,
    item: FeedImportItem,
    source: SourceEpisode,
    prepared: Prepared,
    dropped: set[str],
    *,
    matcher: GuestMatcher,
    hosts: list[SourcePerson],
    options: ImportOptions,
    import_id: int,
    now: datetime,
) -> tuple[str, int]:
    raw = episode_raw(source, show, prepared, _guest_ids(matcher, source.persons, hosts))
    for name in dropped:
        raw.pop(name, None)
    data = parse_episode_input(raw, partial=False, timezone="UTC")
    asset = prepared.audio_row()  # stored by the download thread; its row is made here
    if asset is not None:
        session.add(asset)
        session.flush()
    files = _attachments(episode, prepared, dropped, asset)

    def mark(saved: Episode) -> None:
        item.episode_id = saved.id
        item.state = ItemState.DONE
        item.source_sha256 = digest(source)
        item.enclosure_url = source.enclosure.url if source.enclosure else ""
        item.enclosure_length = source.enclosure.length if source.enclosure else None
        item.error, item.error_wording = "", None
        item.import_id = import_id
        item.updated_at = now

    def claimed() -> None:
        prepared.claimed = True

    if episode is None:
        created = create_episode(
            session, storage, show, data, files, max_bytes=options.max_media_bytes, now=now,
            guid=source.guid, before_commit=mark,
        )  # fmt: skip
        claimed()
        return "imported", created.id
    mark(episode)
    update_episode(
        session, storage, episode, data, files, max_bytes=options.max_media_bytes, now=now
    )
    claimed()
    return "updated", episode.id


def _measured(source: SourceEpisode, episode: Episode | None) -> list[str]:
    """Where the source's enclosure length or duration was wrong, as the file shows."""
    if episode is None or episode.audio is None:
        return []
    lines: list[str] = []
    audio = episode.audio
    claimed = source.enclosure.length if source.enclosure else None
    if length_wrong(claimed, audio.size_bytes):
        lines.append(
            say(
                "the source feed said %(claimed)s bytes; the file has %(measured)s (%(size)s).",
                claimed=claimed, measured=audio.size_bytes, size=size_text(audio.size_bytes),
            )
        )  # fmt: skip
    if duration_wrong(source.duration_seconds, audio.duration_seconds):
        lines.append(
            say(
                "the source feed said it lasts %(claimed)s s; the file lasts %(measured)s s.",
                claimed=f"{source.duration_seconds:.0f}",
                measured=f"{audio.duration_seconds or 0:.1f}",
            )
        )
    return lines


def _failed(
    session: Session,
    item_id: int,
    source: SourceEpisode,
    message: str,
    matcher: GuestMatcher,
    report: Report,
    import_id: int,
    now: datetime,
) -> str:
    session.rollback()
    matcher.reload()
    item = session.get(FeedImportItem, item_id)
    if item is not None:
        item.state = ItemState.FAILED
        item.error, item.error_wording = str(message), record(message)
        item.import_id = import_id
        item.updated_at = now
        session.commit()
    title = plain(source.title) or source.guid
    report.line(say("“%(title)s” was not imported: %(reason)s", title=title, reason=message))
    report.entry(source.guid, title, "failed", message)
    return "failed"
