"""What a source feed says, as read by the parser: the contract between parsing and applying.

`podcast.imports.parse` builds these from the bytes that `podcast.imports.fetch` brought; the
importer (`podcast.imports.apply`) turns them into shows, episodes, guests and media. Every
string is as the feed gave it (XML entities and CDATA resolved, nothing else changed), every
URL absolute (resolved against the feed's URL), every time tz-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class SourcePerson:
    """A podcast:person of the channel or of an item (a host, a guest...)."""

    name: str
    role: str = "host"  # the podcast namespace's role, lowercased ("guest", "host", ...)
    group: str = "cast"
    href: str = ""  # their page
    img: str = ""  # their picture


@dataclass(frozen=True)
class SourceChapter:
    """One chapter: from podcast:chapters JSON, Podlove Simple Chapters or the file's ID3."""

    start: float  # seconds
    title: str
    url: str = ""
    img: str = ""


@dataclass(frozen=True)
class SourceTranscript:
    """A podcast:transcript of an item: its URL, type (MIME), language and rel."""

    url: str
    mime_type: str
    language: str = ""
    rel: str = ""


@dataclass(frozen=True)
class SourceFunding:
    """A podcast:funding link."""

    url: str
    label: str = ""


@dataclass(frozen=True)
class SourceLocation:
    """A podcast:location: its name, and geo/osm when given."""

    name: str
    geo: str = ""
    osm: str = ""


@dataclass(frozen=True)
class SourceEnclosure:
    """The enclosure as the feed states it (the importer re-measures it from the file)."""

    url: str
    length: int | None  # None when absent or not a number
    mime_type: str


@dataclass
class SourceEpisode:
    """One item of the source feed."""

    guid: str  # byte for byte; the enclosure URL when the item has no guid
    guid_is_enclosure_url: bool
    title: str
    published_at: datetime | None
    description_html: str  # content:encoded, else description, else itunes:summary (raw HTML)
    summary: str  # itunes:subtitle or itunes:summary as plain text, "" when absent
    link: str
    enclosure: SourceEnclosure | None
    duration_seconds: float | None  # what itunes:duration claims
    season: int | None
    number: int | None
    episode_type: str  # "full" | "trailer" | "bonus"
    explicit: bool | None
    image_url: str
    chapters_url: str  # podcast:chapters JSON to fetch, "" when none
    chapters: list[SourceChapter] = field(default_factory=list)  # inline (Podlove psc)
    transcripts: list[SourceTranscript] = field(default_factory=list)
    persons: list[SourcePerson] = field(default_factory=list)
    location: SourceLocation | None = None
    funding: list[SourceFunding] = field(default_factory=list)


@dataclass
class SourceShow:
    """The channel of the source feed, and every item across its pages."""

    feed_url: str  # the URL we record: after 301s and itunes:new-feed-url, not after 302s
    title: str
    description_html: str
    subtitle: str
    link: str
    language: str  # BCP 47 as given ("" when absent)
    author: str
    owner_name: str
    owner_email: str
    image_url: str
    categories: list[list[str | None]]  # [[category, subcategory-or-None], ...] in feed order
    explicit: bool
    show_type: str  # "episodic" | "serial"
    copyright: str
    podcast_guid: str  # as given; "" when the feed has none (the importer mints one)
    locked: bool  # podcast:locked yes
    locked_owner_email: str  # podcast:locked owner="..."
    complete: bool  # itunes:complete Yes
    new_feed_url: str  # itunes:new-feed-url as given ("" when none)
    funding: list[SourceFunding] = field(default_factory=list)
    persons: list[SourcePerson] = field(default_factory=list)
    episodes: list[SourceEpisode] = field(default_factory=list)
    # Sentences about the feed itself (a duplicate guid, an item without an enclosure, ...).
    problems: list[str] = field(default_factory=list)
