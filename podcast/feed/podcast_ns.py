"""A feedgen extension for the Podcasting 2.0 namespace, Podlove chapters and true/false explicit.

feedgen 1.0.0 knows neither `podcast:` nor `psc:`, cannot write `itunes:explicit` as
`true`/`false` and silently drops channel images not ending in .jpg/.png, so those tags are
written here. Register it after feedgen's own `podcast` extension:

    fg.register_extension("podcast20", Podcast20Extension, Podcast20EntryExtension,
                          atom=False, rss=True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

from podcast.feed.text import feed_text

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
PSC_NS = "http://podlove.org/simple-chapters"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPES = {"podcast", "music", "video", "film", "audiobook", "newsletter", "blog"}
NODE_LIMIT = 128  # the namespace's limit for person, funding and season names


@dataclass(frozen=True)
class Person:
    """A podcast:person: name, role and group from the taxonomy, optional href and img (as given:
    the caller decides which links to state)."""

    name: str
    role: str = "host"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


def https_only(url: str | None) -> str | None:
    """The URL when it is https (the namespace requires it for optional links), else None."""
    return url if url and url.startswith("https://") else None


def npt(seconds: float) -> str:
    """Seconds as zero-padded HH:MM:SS.mmm (the only form feedparser reads in psc:chapter)."""
    millis = int(round(max(seconds, 0) * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _text(value: Any, limit: int | None = None) -> str:
    text = feed_text(str(value)).strip()
    return text[:limit] if limit else text


def _element(parent: Any, ns: str, tag: str, text: str | None = None, **attrs: str | None) -> Any:
    element = xml_elem(f"{{{ns}}}{tag}", parent)
    for name, value in attrs.items():
        if value is not None:
            element.set(name, _text(value))
    if text is not None:
        element.text = text
    return element


def _write_persons(parent: Any, persons: list[Person]) -> None:
    for person in persons:
        _element(
            parent,
            PODCAST_NS,
            "person",
            _text(person.name, NODE_LIMIT),
            role=person.role,
            group=person.group,
            href=person.href,
            img=person.img,
        )


class Podcast20Extension(BaseExtension):
    """Channel tags: podcast:guid/locked/funding/medium/person/txt, itunes:explicit and image."""

    def __init__(self) -> None:
        self._guid: str | None = None
        self._locked: tuple[bool, str | None] | None = None
        self._funding: list[tuple[str, str]] = []
        self._medium: str | None = None
        self._persons: list[Person] = []
        self._txt: list[tuple[str, str | None]] = []
        self._explicit: bool | None = None
        self._image: str | None = None
        self._hub: str | None = None

    def extend_ns(self) -> dict[str, str]:
        """Bind the literal prefixes Podcast Index's parser looks for."""
        return {"podcast": PODCAST_NS, "psc": PSC_NS}

    def guid(self, value: str) -> None:
        """Set podcast:guid (the show's UUIDv5, minted once)."""
        self._guid = _text(value)

    def locked(self, locked: bool, owner: str | None = None) -> None:
        """Set podcast:locked (yes/no) with the owner's e-mail."""
        self._locked = (locked, owner or None)

    def funding(self, url: str, label: str) -> None:
        """Add a podcast:funding link."""
        self._funding.append((url, _text(label, NODE_LIMIT)))

    def medium(self, value: str) -> None:
        """Set podcast:medium (podcast for a normal show)."""
        if value.rstrip("L") not in MEDIA_TYPES and value != "mixed":
            raise ValueError(f"Unknown podcast:medium {value!r}")
        self._medium = value

    def person(self, person: Person) -> None:
        """Add a podcast:person (the hosts)."""
        self._persons.append(person)

    def txt(self, value: str, purpose: str | None = None) -> None:
        """Add a podcast:txt (e.g. purpose applepodcastsverify)."""
        self._txt.append((_text(value, 4000), purpose))

    def explicit(self, value: bool) -> None:
        """Set itunes:explicit, written as true/false (Apple's current form)."""
        self._explicit = bool(value)

    def itunes_image(self, url: str) -> None:
        """Set the channel's itunes:image, whatever the URL's suffix."""
        self._image = url

    def hub(self, url: str) -> None:
        """Declare the WebSub hub (<atom:link rel="hub">); feedgen writes only rel="self" in RSS."""
        self._hub = url

    def extend_rss(self, rss_root: Any) -> Any:
        """Append the channel tags to <channel>."""
        channel = rss_root[0]
        if self._hub:
            link = _element(channel, ATOM_NS, "link", href=self._hub, rel="hub")
            own = channel.find(f"{{{ATOM_NS}}}link[@rel='self']")
            if own is not None:  # beside rel="self", where WebSub subscribers look
                own.addnext(link)
        if self._image:
            _element(channel, ITUNES_NS, "image", href=self._image)
        if self._explicit is not None:
            _element(channel, ITUNES_NS, "explicit", "true" if self._explicit else "false")
        if self._guid:
            _element(channel, PODCAST_NS, "guid", self._guid)
        if self._locked is not None:
            locked, owner = self._locked
            _element(channel, PODCAST_NS, "locked", "yes" if locked else "no", owner=owner)
        for url, label in self._funding:
            _element(channel, PODCAST_NS, "funding", label, url=url)
        if self._medium:
            _element(channel, PODCAST_NS, "medium", self._medium)
        _write_persons(channel, self._persons)
        for value, purpose in self._txt:
            _element(channel, PODCAST_NS, "txt", value, purpose=purpose)
        return rss_root


class Podcast20EntryExtension(BaseEntryExtension):
    """Item tags: podcast:person/chapters/transcript/season/episode, psc:chapters and more."""

    def __init__(self) -> None:
        self._explicit: bool | None = None
        self._image: str | None = None
        self._persons: list[Person] = []
        self._chapters: tuple[str, str] | None = None
        self._psc: list[tuple[float, str]] = []
        self._transcripts: list[dict[str, str | None]] = []
        self._season: int | None = None
        self._episode: int | None = None

    def extend_ns(self) -> dict[str, str]:
        """Same prefixes as the channel."""
        return {"podcast": PODCAST_NS, "psc": PSC_NS}

    def explicit(self, value: bool) -> None:
        """Set the item's itunes:explicit as true/false."""
        self._explicit = bool(value)

    def itunes_image(self, url: str) -> None:
        """Set the item's itunes:image."""
        self._image = url

    def person(self, person: Person) -> None:
        """Add a podcast:person (item persons replace the channel's, so restate hosts)."""
        self._persons.append(person)

    def chapters(self, url: str, type: str = "application/json+chapters") -> None:
        """Link the JSON chapters file with podcast:chapters."""
        self._chapters = (url, type)

    def psc_chapters(self, chapters: list[tuple[float, str]]) -> None:
        """Set the Podlove Simple Chapters: (start seconds, title) pairs."""
        self._psc = sorted((float(start), _text(title)) for start, title in chapters)

    def transcript(
        self, url: str, type: str, language: str | None = None, rel: str | None = None
    ) -> None:
        """Add a podcast:transcript (add the VTT first)."""
        self._transcripts.append({"url": url, "type": type, "language": language, "rel": rel})

    def season(self, number: int) -> None:
        """Set podcast:season."""
        self._season = int(number)

    def episode(self, number: int) -> None:
        """Set podcast:episode."""
        self._episode = int(number)

    def extend_rss(self, item: Any) -> Any:
        """Append the item tags to <item>."""
        if self._image:
            _element(item, ITUNES_NS, "image", href=self._image)
        if self._explicit is not None:
            _element(item, ITUNES_NS, "explicit", "true" if self._explicit else "false")
        _write_persons(item, self._persons)
        if self._chapters:
            url, type_ = self._chapters
            _element(item, PODCAST_NS, "chapters", url=url, type=type_)
        for transcript in self._transcripts:
            _element(item, PODCAST_NS, "transcript", **transcript)
        if self._season is not None:
            _element(item, PODCAST_NS, "season", str(self._season))
        if self._episode is not None:
            _element(item, PODCAST_NS, "episode", str(self._episode))
        if self._psc:
            chapters = _element(item, PSC_NS, "chapters", version="1.2")
            for start, title in self._psc:
                _element(chapters, PSC_NS, "chapter", start=npt(start), title=title)
        return item
