"""Read a source feed into imports.source: podcastparser for RSS and iTunes, lxml for the rest.

podcastparser (gPodder's parser) reads the RSS and iTunes core as podcast apps do: dates in
their many broken forms, durations, enclosures (with media:content as a fallback), explicit,
episode types, categories and the owner. An lxml pass reads what it does not keep whole: the
`podcast:` namespace under both of its URIs (every person, transcript and funding link, not
only the last), Podlove Simple Chapters to the millisecond, paging links, and the verbatim texts
(guids byte for byte, descriptions as written). The lxml parser never resolves entities, never
loads a DTD and never touches the network; a document that declares entities (billion laughs,
external entities) is refused before either parser expands anything.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urljoin
from xml import sax

import podcastparser
from lxml import etree

from podcast.imports.chapters import npt_seconds, parse_chapters_json
from podcast.imports.errors import FeedError
from podcast.imports.merge import keep_first
from podcast.imports.sniff import looks_like_html, not_a_feed
from podcast.imports.source import (
    SourceChapter,
    SourceEnclosure,
    SourceEpisode,
    SourceFunding,
    SourceLocation,
    SourcePerson,
    SourceShow,
    SourceTranscript,
)
from podcast.wording import say

__all__ = [
    "FeedError",
    "FeedPage",
    "keep_first",
    "looks_like_html",
    "npt_seconds",
    "parse_chapters_json",
    "parse_feed",
    "parse_feed_page",
]

PODCAST_NAMESPACES = (
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
    "https://github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
)
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
PSC = ("http://podlove.org/simple-chapters", "http://podlove.org/simple-chapters/")
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_DOCTYPE_WITH_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)


@dataclass(frozen=True)
class FeedPage:
    """One document of a feed: its show (every item, duplicates kept) and its paging links."""

    show: SourceShow
    next_url: str  # atom:link rel="next" (RFC 5005), absolute; "" when none
    self_url: str  # atom:link rel="self", absolute; "" when none


def _bomb(url: str) -> FeedError:
    return FeedError(
        say(
            "%(url)s declares its own XML entities, which feeds never need and XML bombs use;"
            " it was not read.",
            url=url,
        )
    )


def _tree(body: bytes, url: str) -> Any:
    """The document's root element, parsed with every expansion and network access off."""
    refusal = not_a_feed(body, url)
    if refusal is not None:
        raise FeedError(refusal)
    prolog = body[:65536]
    if prolog.startswith((b"\xff\xfe", b"\xfe\xff")):
        prolog = prolog.decode("utf-16", errors="ignore").encode("utf-8")
    if _DOCTYPE_WITH_SUBSET.search(prolog):
        raise _bomb(url)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        recover=False,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        if "amplification" in str(exc.msg):
            raise _bomb(url) from None
        raise FeedError(
            say(
                "%(url)s is not well-formed XML (line %(line)s: %(reason)s).",
                url=url,
                line=exc.lineno or 1,
                reason=str(exc.msg or exc).split(" (line")[0],
            )
        ) from None
    dtd: Any = root.getroottree().docinfo.internalDTD
    if dtd is not None and list(dtd.iterentities()):
        raise _bomb(url)
    tag = etree.QName(root).localname if isinstance(root.tag, str) else ""
    if tag == "feed" and etree.QName(root).namespace == ATOM:
        raise FeedError(say("%(url)s is an Atom feed; imports read RSS podcast feeds.", url=url))
    if tag == "html":
        raise FeedError(say("%(url)s is a web page, not an RSS podcast feed.", url=url))
    if root.tag != "rss" or root.find("channel") is None:
        raise FeedError(
            say(
                "%(url)s is XML but not an RSS podcast feed (it starts with <%(tag)s>).",
                url=url,
                tag=tag or "?",
            )
        )
    return root


class _Handler(podcastparser.PodcastHandler):
    """podcastparser's handler, numbering items so that they match lxml's <item> elements."""

    def __init__(self, url: str) -> None:
        super().__init__(url, 0)
        self.count = 0

    def add_episode(self) -> None:
        super().add_episode()
        self.episodes[-1]["_index"] = self.count
        self.count += 1


def _core(body: bytes, url: str) -> dict[str, Any]:
    """What podcastparser reads of the document (RSS and iTunes)."""
    handler = _Handler(url)
    source = sax.xmlreader.InputSource(url)
    source.setByteStream(io.BytesIO(body))
    reader = sax.make_parser()
    reader.setFeature(sax.handler.feature_external_ges, False)
    reader.setFeature(sax.handler.feature_external_pes, False)
    reader.setContentHandler(handler)
    try:
        reader.parse(source)
    except (sax.SAXException, ValueError, KeyError, IndexError, TypeError) as exc:
        raise FeedError(
            say("%(url)s could not be read as a podcast feed (%(reason)s).", url=url, reason=exc)
        ) from None
    data: dict[str, Any] = handler.data
    return data


# lxml helpers: children in every podcast namespace URI, texts, resolved URLs.


@cache
def _tags(namespaces: tuple[str, ...] | str, name: str) -> frozenset[str]:
    uris = (namespaces,) if isinstance(namespaces, str) else namespaces
    return frozenset(f"{{{uri}}}{name}" for uri in uris)


def _all(parent: Any, namespaces: tuple[str, ...] | str, name: str) -> list[Any]:
    tags = _tags(namespaces, name)
    return [child for child in parent if child.tag in tags]


def _one(parent: Any, namespaces: tuple[str, ...] | str, name: str) -> Any:
    found = _all(parent, namespaces, name)
    return found[0] if found else None


def _text(element: Any) -> str:
    return (element.text or "").strip() if element is not None else ""


def _child_text(parent: Any, name: str, namespace: str = "") -> str:
    return _text(parent.find(f"{{{namespace}}}{name}" if namespace else name))


def _url(base: str, value: str | None) -> str:
    value = (value or "").strip()
    return urljoin(base, value) if value else ""


def _int(text: str) -> int | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() and number >= 0 else None


def _persons(parent: Any, base: str) -> list[SourcePerson]:
    found = []
    for element in _all(parent, PODCAST_NAMESPACES, "person"):
        name = _text(element)
        if name:
            found.append(
                SourcePerson(
                    name=name,
                    role=(element.get("role") or "host").strip().lower(),
                    group=(element.get("group") or "cast").strip().lower(),
                    href=_url(base, element.get("href")),
                    img=_url(base, element.get("img")),
                )
            )
    return found


def _funding(parent: Any, base: str) -> list[SourceFunding]:
    return [
        SourceFunding(url=_url(base, element.get("url")), label=_text(element))
        for element in _all(parent, PODCAST_NAMESPACES, "funding")
        if (element.get("url") or "").strip()
    ]


def _podlove(item: Any, base: str) -> list[SourceChapter]:
    chapters = []
    for group in _all(item, PSC, "chapters"):
        for element in _all(group, PSC, "chapter"):
            start = npt_seconds(element.get("start") or "")
            if start is not None:
                chapters.append(
                    SourceChapter(
                        start=start,
                        title=(element.get("title") or "").strip(),
                        url=_url(base, element.get("href")),
                        img=_url(base, element.get("image")),
                    )
                )
    return sorted(chapters, key=lambda chapter: chapter.start)


def _published(timestamp: Any) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else None


def _episode(entry: dict[str, Any], item: Any, base: str) -> SourceEpisode | None:
    """One item, or None when it has no enclosure (the caller says so)."""
    enclosures = [e for e in entry.get("enclosures", []) if e.get("url")]
    if not enclosures:
        return None
    first = enclosures[0]
    raw = item.find("enclosure")
    enclosure = SourceEnclosure(
        url=_url(base, raw.get("url")) if raw is not None and raw.get("url") else first["url"],
        length=first["file_size"] if first["file_size"] > 0 else None,
        mime_type=first["mime_type"],
    )
    guid = _text(item.find("guid"))
    number = entry.get("number") or _int(_text(_one(item, PODCAST_NAMESPACES, "episode")) or "x")
    season = entry.get("season") or _int(_text(_one(item, PODCAST_NAMESPACES, "season")) or "x")
    description = next(
        (
            text
            for text in (
                _child_text(item, "encoded", CONTENT),
                _child_text(item, "description"),
                _child_text(item, "summary", ITUNES),
            )
            if text
        ),
        "",
    )
    chapters_element = _one(item, PODCAST_NAMESPACES, "chapters")
    location_element = _one(item, PODCAST_NAMESPACES, "location")
    return SourceEpisode(
        guid=guid or enclosure.url,
        guid_is_enclosure_url=not guid,
        title=entry.get("title", ""),
        published_at=_published(entry.get("published")),
        description_html=description,
        summary=_child_text(item, "subtitle", ITUNES) or _child_text(item, "summary", ITUNES),
        link=_url(base, _child_text(item, "link")),
        enclosure=enclosure,
        duration_seconds=float(entry["total_time"]) if entry.get("total_time") else None,
        season=season or None,
        number=number or None,
        episode_type=entry.get("type", "full"),
        explicit=entry.get("explicit"),
        image_url=entry.get("episode_art_url", ""),
        chapters_url=_url(base, chapters_element.get("url"))
        if chapters_element is not None
        else "",
        chapters=_podlove(item, base),
        transcripts=[
            SourceTranscript(
                url=_url(base, element.get("url")),
                mime_type=(element.get("type") or "").strip(),
                language=(element.get("language") or "").strip(),
                rel=(element.get("rel") or "").strip(),
            )
            for element in _all(item, PODCAST_NAMESPACES, "transcript")
            if (element.get("url") or "").strip()
        ],
        persons=_persons(item, base),
        location=SourceLocation(
            name=_text(location_element),
            geo=(location_element.get("geo") or "").strip(),
            osm=(location_element.get("osm") or "").strip(),
        )
        if location_element is not None and _text(location_element)
        else None,
        funding=_funding(item, base),
    )


def _atom_link(channel: Any, rel: str, base: str) -> str:
    for element in channel.findall(f"{{{ATOM}}}link"):
        if (element.get("rel") or "").strip().lower() == rel and element.get("href"):
            return _url(base, element.get("href"))
    return ""


def parse_feed_page(body: bytes, url: str) -> FeedPage:
    """One feed document read whole: its show with every item, and its paging links."""
    root = _tree(body, url)
    base = _url(url, root.get(_XML_BASE)) or url
    core = _core(body, base)
    channel = root.find("channel")
    items = channel.findall("item")
    problems: list[str] = []
    episodes: list[SourceEpisode] = []
    entries = {entry["_index"]: entry for entry in core.get("episodes", [])}
    for index, item in enumerate(items):
        title = _child_text(item, "title") or _child_text(item, "guid") or str(index + 1)
        entry = entries.get(index)
        has_enclosure = item.find("enclosure") is not None
        if entry is None and has_enclosure:
            problems.append(
                say(
                    "Item %(position)s of the feed (%(title)s) has neither a guid nor a single"
                    " enclosure to identify it; it was skipped.",
                    position=index + 1,
                    title=title or "?",
                )
            )
            continue
        episode = _episode(entry, item, base) if entry is not None else None
        if episode is None:
            problems.append(
                say(
                    "The item \u201c%(title)s\u201d has no enclosure (no audio); it was skipped.",
                    title=title,
                )
            )
            continue
        episodes.append(episode)
    show = _show(core, channel, base, url)
    show.episodes, show.problems = episodes, problems
    return FeedPage(show, _atom_link(channel, "next", base), _atom_link(channel, "self", base))


def _show(core: dict[str, Any], channel: Any, base: str, url: str) -> SourceShow:
    owner = core.get("itunes_owner") or {}
    locked = _one(channel, PODCAST_NAMESPACES, "locked")
    itunes_image = channel.find(f"{{{ITUNES}}}image")
    categories: list[list[str | None]] = [
        [names[0], names[1] if len(names) > 1 and names[1] else None]
        for names in core.get("itunes_categories", [])
        if names and names[0]
    ]
    return SourceShow(
        feed_url=url,
        title=core.get("title", "") if _child_text(channel, "title") else "",
        description_html=_child_text(channel, "description")
        or _child_text(channel, "summary", ITUNES),
        subtitle=_child_text(channel, "subtitle", ITUNES),
        link=_url(base, _child_text(channel, "link")),
        language=_child_text(channel, "language"),
        author=_child_text(channel, "author", ITUNES),
        owner_name=owner.get("name", ""),
        owner_email=owner.get("email", ""),
        image_url=_url(base, itunes_image.get("href") if itunes_image is not None else "")
        or core.get("cover_url", ""),
        categories=categories,
        explicit=bool(core.get("explicit", False)),
        show_type=core.get("type", "episodic"),
        copyright=_child_text(channel, "copyright"),
        podcast_guid=_text(_one(channel, PODCAST_NAMESPACES, "guid")),
        locked=_text(locked).lower() == "yes",
        locked_owner_email=(locked.get("owner") or "").strip() if locked is not None else "",
        complete=_child_text(channel, "complete", ITUNES).lower() == "yes",
        new_feed_url=_child_text(channel, "new-feed-url", ITUNES),
        funding=_funding(channel, base),
        persons=_persons(channel, base),
    )


def parse_feed(body: bytes, url: str) -> SourceShow:
    """One feed document as a SourceShow: repeated guids dropped (the first kept) and reported."""
    page = parse_feed_page(body, url)
    show = page.show
    show.episodes, duplicates = keep_first(show.episodes, {}, set())
    show.problems.extend(duplicates)
    return show
