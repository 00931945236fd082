"""The source's channel as our show: created, or updated on a sync, with its podcast:guid."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from podcast.errors import PodcastError, ValidationError
from podcast.imports.fetcher import Fetcher
from podcast.imports.markup import html_to_markdown, plain
from podcast.imports.media import ImportOptions, downloaded
from podcast.imports.report import Report
from podcast.imports.source import SourceShow
from podcast.models import Show
from podcast.services import queries
from podcast.services.shows import (
    COMMAND_LINE,
    DESCRIPTION_BYTES_MAX,
    Actor,
    parse_show_input,
    podcast_guid_for,
    save_show,
)
from podcast.services.uploads import Upload
from podcast.storage import Storage
from podcast.wording import say

ARTWORK_MAX_BYTES = 20 * 1024 * 1024


def _clip_bytes(text: str, limit: int) -> str:
    data = text.encode()
    return text if len(data) <= limit else data[: limit - 3].decode(errors="ignore") + "…"


def raw_settings(source: SourceShow) -> dict[str, Any]:
    """The show settings the source's channel states, as parse_show_input takes them."""
    description = html_to_markdown(source.description_html) or plain(source.subtitle)
    raw: dict[str, Any] = {
        "title": " ".join(plain(source.title).split())[:255] or source.feed_url[:255],
        "subtitle": plain(source.subtitle)[:255],
        "description": _clip_bytes(description or plain(source.title), DESCRIPTION_BYTES_MAX),
        "author": plain(source.author)[:255],
        "owner_name": plain(source.owner_name)[:255],
        "copyright": plain(source.copyright)[:255],
        "explicit": source.explicit,
        "show_type": source.show_type or "episodic",
        "complete": source.complete,
        "website": source.link,
        "hosts": [
            {"name": p.name, "role": p.role, "href": p.href, "img": p.img}
            for p in source.persons
            if p.name and p.role.lower() in ("host", "co-host", "cohost")
        ],
    }
    if source.owner_email:
        raw["owner_email"] = source.owner_email
    if source.language:
        raw["language"] = source.language
    if source.categories:
        raw["categories"] = [[c for c in pair if c] for pair in source.categories]
    if source.funding:
        raw["funding_url"] = source.funding[0].url
        raw["funding_label"] = plain(source.funding[0].label)[:128]
    return raw


def checked_settings(raw: dict[str, Any], report: Report) -> Any:
    """parse_show_input of what can be kept: a setting the service refuses is left out, and the
    report says which and why."""
    try:
        return parse_show_input(raw)
    except ValidationError as exc:
        kept = {k: v for k, v in raw.items() if k not in exc.fields}
        for name, message in exc.fields.items():
            report.line(
                say("The show's %(name)s was not kept: %(reason)s", name=name, reason=message)
            )
        return parse_show_input(kept)


def _valid_guid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        return None


def apply_show(
    session: Session,
    storage: Storage,
    show: Show | None,
    source: SourceShow,
    *,
    handle: str | None,
    fetcher: Fetcher,
    options: ImportOptions,
    report: Report,
    actor: Actor = COMMAND_LINE,
) -> Show:
    """Create the show from the source's channel, or bring an imported show up to date; its
    podcast:guid is the source's, or minted from the source feed URL when it has none."""
    raw = raw_settings(source)
    if show is None and handle:
        raw["handle"] = handle
    data = checked_settings(raw, report)
    adopt = (
        show is None or bool(show.source_feed_url) or queries.episode_count(session, show.id) == 0
    )
    actor = Actor(actor.user_id, actor.name, True, actor.via)  # admins alone start imports
    show = save_show(session, storage, show, data, feed_url=source.feed_url, actor=actor)
    wanted = _valid_guid(source.podcast_guid) or podcast_guid_for(source.feed_url)
    if source.podcast_guid and not _valid_guid(source.podcast_guid):
        report.line(say("The source's podcast:guid is not a UUID; one was minted from its URL."))
    if adopt:
        show.podcast_guid = wanted
    elif show.podcast_guid != wanted:
        report.line(
            say(
                "The show keeps its own podcast:guid %(ours)s (the source says %(theirs)s): it "
                "already had episodes of its own.",
                ours=show.podcast_guid,
                theirs=wanted,
            )
        )
    show.source_feed_url = source.feed_url
    session.commit()
    if source.image_url:
        _artwork(session, storage, show, source.image_url, fetcher, options, report)
    return show


def _artwork(
    session: Session,
    storage: Storage,
    show: Show,
    url: str,
    fetcher: Fetcher,
    options: ImportOptions,
    report: Report,
) -> None:
    """The channel's artwork, stored as if uploaded (Apple's rule checked); a refusal is a line."""
    try:
        with downloaded(fetcher, url, options, ARTWORK_MAX_BYTES) as (stream, _size):
            if show.artwork is not None and show.artwork.size_bytes == _size:  # same picture
                return  # the same picture on a sync: nothing to store again
            save_show(
                session, storage, show, parse_show_input({}),
                artwork=Upload(stream, url.rsplit("/", 1)[-1][:255]),
                actor=Actor(None, "import", True, "cli"),
            )  # fmt: skip
    except PodcastError as exc:
        session.rollback()
        report.line(say("The show's artwork was not kept: %(reason)s", reason=exc.message))
