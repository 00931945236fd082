"""Page-level reads for the listeners' pages: pagination, neighbours, transcripts, metadata."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup

from podcast import current
from podcast.errors import NotFoundError, PodcastError, ValidationError
from podcast.extensions import db
from podcast.models import Episode, MediaAsset, Show
from podcast.services import queries
from podcast.services.markup import plain_text
from podcast.services.transcripts import Cue, parse_transcript, to_vtt
from podcast.views.templating import cached_plain, iso_duration
from podcast.views.urls import (
    absolute,
    episode_url,
    feed_url,
    handle_of,
    home_url,
    media_path,
    media_url,
    show_handles,
)

log = logging.getLogger(__name__)

SEARCH_MAX = 200
SUMMARY_CHARS = 220
# The embedded player's frame height in CSS pixels: artwork, titles and the player; with
# chapters, room for a few of them (the list scrolls inside the frame).
EMBED_HEIGHT = 200
EMBED_HEIGHT_WITH_CHAPTERS = 360
# A transcript paragraph ends when the speaker changes or after this many seconds.
PARAGRAPH_SECONDS = 45.0


def page_number(raw: str | None) -> int | None:
    """The ?page= value as a positive int; None when it is not one."""
    if raw is None or raw == "":
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or int(raw) < 1:
        return None
    return int(raw)


def search_terms(raw: str | None) -> str:
    """The ?q= value trimmed to something worth searching for."""
    return " ".join((raw or "").split())[:SEARCH_MAX]


def sitemap_entries(now: datetime | None = None) -> list[tuple[str, datetime | None]]:
    """(absolute URL, last modified) for the home page, every show's home, every public
    episode of every show and every guest on one."""
    episodes, guests = queries.sitemap_rows(db.session, now)
    newest = max((row.updated_at for row in episodes), default=None)
    entries: list[tuple[str, datetime | None]] = [(absolute("public.index"), newest)]
    handles = show_handles()
    if len(handles) > 1:
        for show_id, handle in sorted(handles.items()):
            latest = max((r.updated_at for r in episodes if r.show_id == show_id), default=None)
            entries.append((absolute("public.show_home", handle=handle), latest))
    entries += [
        (
            absolute("public.show_episode", handle=handles[row.show_id], slug=row.slug),
            row.updated_at,
        )
        for row in episodes
    ]
    entries += [(absolute("public.guest", slug=row.slug), row.updated_at) for row in guests]
    return entries


# Parsed transcripts by object key. Keys are never reused (a new upload gets a new key), so an
# entry can never go stale; the cap bounds memory.
_TRANSCRIPTS: OrderedDict[str, list[Cue]] = OrderedDict()
_TRANSCRIPTS_LOCK = threading.Lock()
_TRANSCRIPTS_MAX = 64


def _cues(asset: MediaAsset) -> list[Cue]:
    """The transcript's cues, parsed once per object; raises what storage or parsing raises."""
    cache_key = f"{asset.key}:{asset.sha256}"
    with _TRANSCRIPTS_LOCK:
        if cache_key in _TRANSCRIPTS:
            _TRANSCRIPTS.move_to_end(cache_key)
            return _TRANSCRIPTS[cache_key]
    cues = parse_transcript(b"".join(current.storage().open_range(asset.key)))
    with _TRANSCRIPTS_LOCK:
        _TRANSCRIPTS[cache_key] = cues
        while len(_TRANSCRIPTS) > _TRANSCRIPTS_MAX:
            _TRANSCRIPTS.popitem(last=False)
    return cues


def transcript_cues(asset: MediaAsset | None) -> list[Cue] | None:
    """The transcript's cues read from storage; None when absent or unreadable."""
    if asset is None:
        return None
    try:
        return _cues(asset)
    except (PodcastError, OSError, ValueError) as exc:
        # The page still plays without its transcript; the producer sees the log.
        log.warning("transcript %s could not be read: %s", asset.key, exc)
        return None


def transcript_vtt(asset: MediaAsset | None) -> bytes | None:
    """The transcript file as served, None when absent or unreadable (storage down raises).

    Its cues are written again, so text stored before cue text was escaped (a bare & or <,
    which makes Chromium drop the rest of the cue) goes out escaped; parse then write is
    idempotent, so what was stored escaped is served byte for byte.
    """
    if asset is None:
        return None
    try:
        return to_vtt(_cues(asset)).encode()
    except (NotFoundError, ValidationError) as exc:
        log.warning("transcript %s could not be served: %s", asset.key, exc)
        return None


@dataclass
class Paragraph:
    """Consecutive cues of one speaker, shown as one paragraph with its start time."""

    start: float
    speaker: str | None
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The paragraph's words."""
        return " ".join(self.lines)


def paragraphs(cues: list[Cue]) -> list[Paragraph]:
    """Group cues into readable paragraphs: a new one per speaker turn or every ~45 s."""
    result: list[Paragraph] = []
    for cue in cues:
        if not cue.text:
            continue
        last = result[-1] if result else None
        if (
            last is None
            or cue.speaker != last.speaker
            or cue.start - last.start >= PARAGRAPH_SECONDS
        ):
            last = Paragraph(cue.start, cue.speaker)
            result.append(last)
        last.lines.append(cue.text)
    return result


def episode_summary(episode: Episode, limit: int = SUMMARY_CHARS) -> str:
    """A short plain-text summary: the summary field, else the start of the notes."""
    return cached_plain(episode.summary or episode.description, limit)


def artwork_url(
    show: Show | None, episode: Episode | None = None, *, on_page: bool = False
) -> str | None:
    """The episode's image, else the show's artwork: an absolute URL (feeds, oEmbed, JSON-LD),
    or on_page the one the site's own pages load (root-relative, under any host name)."""
    url = media_path if on_page else media_url
    if episode is not None and episode.image is not None:
        return url(episode.image)
    return url(show.artwork) if show is not None and show.artwork is not None else None


def series_data(show: Show) -> dict[str, Any]:
    """schema.org PodcastSeries for the home page."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastSeries",
        "name": show.title,
        "description": plain_text(show.description),
        "url": home_url(show),
        "webFeed": feed_url(show),
        "inLanguage": show.language,
    }
    if show.author:
        data["author"] = {"@type": "Organization", "name": show.author}
    image = artwork_url(show)
    if image:
        data["image"] = image
    return data


def episode_data(show: Show, episode: Episode) -> dict[str, Any]:
    """schema.org PodcastEpisode for an episode page."""
    audio = episode.audio
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": episode.title,
        "url": episode_url(episode),
        "datePublished": episode.publish_at.isoformat() if episode.publish_at else None,
        "description": episode_summary(episode, 500),
        "partOfSeries": {
            "@type": "PodcastSeries",
            "name": show.title,
            "url": home_url(show),
        },
    }
    if audio is not None:
        data["timeRequired"] = iso_duration(audio.duration_seconds)
        data["associatedMedia"] = {
            "@type": "MediaObject",
            "contentUrl": media_url(audio),
            "encodingFormat": audio.mime_type,
            "contentSize": str(audio.size_bytes),
            "duration": iso_duration(audio.duration_seconds),
        }
    if episode.number:
        data["episodeNumber"] = episode.number
    if episode.guests:
        data["actor"] = [
            {
                "@type": "Person",
                "name": guest.name,
                "url": absolute("public.guest", slug=guest.slug),
            }
            for guest in episode.guests
        ]
    image = artwork_url(show, episode)
    if image:
        data["image"] = image
    return data


def embed_url(episode: Episode) -> str:
    """The episode's embeddable player, absolute."""
    return absolute("embed.player", handle=handle_of(episode.show_id), slug=episode.slug)


def embed_height(episode: Episode) -> int:
    """The frame height that shows the episode's player (and a few of its chapters)."""
    return EMBED_HEIGHT_WITH_CHAPTERS if episode.effective_chapters else EMBED_HEIGHT


def embed_code(show: Show, episode: Episode, width: str | int = "100%", height: int = 0) -> str:
    """The <iframe> a site pastes to embed the episode's player."""
    return str(
        Markup(
            '<iframe src="{src}" width="{width}" height="{height}" title="{title}" '
            'loading="lazy" style="border:0"></iframe>'
        ).format(
            src=embed_url(episode),
            width=width,
            height=height or embed_height(episode),
            title=f"{episode.title} · {show.title}",
        )
    )


def oembed_url(episode: Episode) -> str:
    """The oEmbed endpoint's answer for the episode's page (the discovery link)."""
    return absolute("embed.oembed", url=episode_url(episode), format="json")
