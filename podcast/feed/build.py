"""The RSS feed: feedgen with its podcast extension plus our Podcasting 2.0 extension."""

from __future__ import annotations

import hashlib
import logging
import struct
import zlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol
from xml.sax.saxutils import quoteattr

from feedgen.feed import FeedGenerator
from lxml import etree

from podcast.feed.podcast_ns import (
    Person,
    Podcast20EntryExtension,
    Podcast20Extension,
    https_only,
)
from podcast.feed.text import description_html, feed_text, profile_references, show_notes
from podcast.models import Episode, Show, readable_chapters
from podcast.services.markup import xml_safe

FEED_MIME = "application/rss+xml"
CHAPTERS_MIME = "application/json+chapters"
TRANSCRIPT_MIME = "text/vtt"
DEFAULT_LANGUAGE = "en"
# Items serialized per feedgen tree: a cold render of a big catalogue holds one batch's tree,
# not every item's at once.
SERIALIZE_BATCH = 200
GZIP_LEVEL = 6
# RFC 1952: deflate, no flags, no mtime (the same bytes on every worker), OS unknown.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
log = logging.getLogger(__name__)


Chapters = tuple[tuple[float, str, str | None], ...]  # start, title, link


@dataclass(frozen=True)
class ItemGuest:
    """A guest as an item lists them."""

    name: str
    slug: str
    photo_key: str | None = None
    website: str = ""


@dataclass(frozen=True)
class FeedItem:
    """What one <item> is made of, read in bulk (see cache.load_items_since)."""

    guid: str
    slug: str
    title: str
    summary: str
    description: str
    season: int | None
    number: int | None
    episode_type: str
    explicit: bool
    publish_at: datetime
    updated_at: datetime | None
    audio_key: str
    audio_size: int
    audio_mime: str
    duration_seconds: float | None
    audio_chapters: Chapters | None = None
    chapters: Chapters | None = None
    image_key: str | None = None
    has_transcript: bool = False
    transcript_language: str | None = None  # None: the show's
    guests: tuple[ItemGuest, ...] = ()

    def __hash__(self) -> int:
        # Items key the fragments of every render: hash the fields once, not on each lookup.
        known = self.__dict__.get("_hash")
        if known is None:
            known = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", known)
        return known

    @property
    def effective_chapters(self) -> list[dict[str, Any]]:
        """Chapters from the form when given, else those read from the audio file."""
        chosen = self.chapters if self.chapters is not None else self.audio_chapters
        return [
            {"start": start, "title": title, **({"url": url} if url else {})}
            for start, title, url in chosen or ()
            if self.duration_seconds is None or start == 0 or start < self.duration_seconds
        ]


def chapter_tuples(chapters: Any) -> Chapters | None:
    """Stored chapters ([{"start", "title", "url"?}]) as hashable (start, title, url) triples.

    Whatever the column holds (older rows, hand edits), only readable chapters come out:
    one bad chapter must not take the feed down.
    """
    if chapters is None:
        return None
    readable = readable_chapters(chapters)
    if len(readable) != (len(chapters) if isinstance(chapters, list) else 1):
        log.warning("feed: skipped unreadable chapters in %r", chapters)
    return tuple((c["start"], c["title"], c.get("url")) for c in readable)


@dataclass(frozen=True)
class FeedWords:
    """The words the service itself writes into a feed, in the feed's language (the web layer
    translates them; English by default, and English feeds keep these very bytes)."""

    untitled: str = "Podcast"  # the title of a show that has none
    support: str = "Support the show"  # a funding link's label when the show gives none


class FeedLinks(Protocol):
    """Where the feed's links point, handed in by the web layer (views/urls.feed_links), so
    that rendering is a pure function of the show, its items and these URLs."""

    feed: str
    site: str
    hub: str | None  # the WebSub hub to declare, if any
    # Everything the URLs depend on: item fragments rendered under another are not reused.
    signature: Hashable

    def episode(self, slug: str) -> str:
        """The episode's page."""
        ...

    def guest(self, slug: str) -> str:
        """The guest's page."""
        ...

    def media(self, key: str | None) -> str | None:
        """A stored object's public URL (None for None)."""
        ...

    def enclosure(self, key: str) -> str:
        """The URL an item's enclosure names for its audio (the counting route, or the media)."""
        ...

    def chapters(self, slug: str) -> str:
        """The episode's JSON chapters."""
        ...

    def transcript(self, slug: str) -> str:
        """The episode's WebVTT transcript."""
        ...

    def words(self, language: str) -> FeedWords:
        """The service's own words for a feed in this language."""
        ...


def json_chapters(episode: Episode | FeedItem, show: Show | None) -> dict[str, Any]:
    """The episode's chapters as a JSON chapters 1.2 document."""
    document: dict[str, Any] = {
        "version": "1.2.0",
        "chapters": [
            {"startTime": start, "title": xml_safe(title), **({"url": url} if url else {})}
            for start, title, url in chapter_tuples(episode.effective_chapters) or ()
        ],
        "title": xml_safe(episode.title),
    }
    if show is not None:
        document["podcastName"] = xml_safe(show.title)
    return document


def last_build(show: Show, items: Sequence[FeedItem]) -> datetime:
    """When the feed's content last changed: the show's content time (moved forward by every
    public change, deletes included), or a newer release (a scheduled episode's time came).

    Both only ever grow, so neither does this; it is lastBuildDate and Last-Modified alike.
    """
    content = show.content_at or show.updated_at or show.created_at
    released = max((item.publish_at for item in items), default=content)
    return max(content, released).replace(microsecond=0)


def _persons(hosts: list[dict[str, str]]) -> list[Person]:
    return [
        Person(
            name=h["name"],
            role=h.get("role") or "host",
            href=https_only(h.get("href")),
            img=https_only(h.get("img")),
        )
        for h in hosts
        if h.get("name")
    ]


def _guest_href(guest: ItemGuest, links: FeedLinks) -> str:
    """The guest's page, or their website when the page is not https (the namespace asks for
    https links); the page anyway when neither is, so every guest has a link."""
    page = links.guest(guest.slug)
    return https_only(page) or https_only(guest.website) or page


def _channel(
    fg: FeedGenerator,
    show: Show,
    items: Sequence[FeedItem],
    links: FeedLinks,
    page: Page | None = None,
) -> list[Person]:
    """Write the channel (of every page alike but for its own address); returns the hosts to
    restate on every item."""
    site = show.website or links.site
    words = links.words(show.language or DEFAULT_LANGUAGE)
    title = feed_text(show.title).strip() or feed_text(words.untitled)
    fg.title(title)
    fg.description(feed_text(show.description).strip() or title)
    own = page.url(page.number) if page is not None else links.feed
    # feedgen writes the href of the *last* link as <link> (F4): the feed URL first.
    fg.link(href=own, rel="self", type=FEED_MIME)
    fg.link(href=site, rel="alternate")
    fg.language(show.language or DEFAULT_LANGUAGE)
    if show.copyright:
        fg.copyright(feed_text(show.copyright))
    fg.lastBuildDate(last_build(show, items))
    if items:
        fg.pubDate(items[0].publish_at)
    artwork = links.media(show.artwork.key) if show.artwork else None
    podcast, ext = fg.podcast, fg.podcast20
    if links.hub:
        ext.hub(links.hub)
    if artwork:
        fg.image(url=artwork, title=title, link=site)
        ext.itunes_image(artwork)
    if show.author:
        podcast.itunes_author(feed_text(show.author))
    if show.owner_name and show.owner_email:
        podcast.itunes_owner(name=feed_text(show.owner_name), email=show.owner_email)
    categories = [
        {"cat": cat, "sub": sub} if sub else {"cat": cat} for cat, sub in show.categories or []
    ]
    if categories:
        podcast.itunes_category(categories)
    podcast.itunes_type(show.show_type or "episodic")
    if show.subtitle:
        podcast.itunes_subtitle(feed_text(show.subtitle))
    if show.complete or show.archived:  # an archived show publishes no more
        podcast.itunes_complete(True)
    if show.new_feed_url:
        podcast.itunes_new_feed_url(show.new_feed_url)
    ext.explicit(show.explicit)
    ext.guid(show.podcast_guid)
    ext.locked(show.locked, owner=show.owner_email or None)
    if show.funding_url:
        ext.funding(show.funding_url, show.funding_label or feed_text(words.support))
    ext.medium("podcast")
    hosts = _persons(show.hosts or [])
    for host in hosts:
        ext.person(host)
    if show.apple_verify:
        ext.txt(show.apple_verify, purpose="applepodcastsverify")
    return hosts


@dataclass(frozen=True)
class Shared:
    """What every item takes from the channel: hosts, URLs and the show's language."""

    hosts: tuple[Person, ...]
    links: FeedLinks
    language: str

    @property
    def key(self) -> tuple[Any, ...]:
        """Equal keys mean items render the same (fragments made under another are not reused)."""
        return (self.hosts, self.links.signature, self.language)


@dataclass(frozen=True)
class Page:
    """Which page of a paged feed (RFC 5005 section 3) a render is: page 1 is the main feed."""

    number: int
    size: int  # items a page
    last: int
    url: Callable[[int], str]  # a page's address (page 1: the feed's own)

    def links(self) -> str:
        """The channel's atom:link elements for first, previous, next and last."""
        rels = [("first", 1), ("last", self.last)]
        if self.number > 1:
            rels.insert(1, ("previous", self.number - 1))
        if self.number < self.last:
            rels.insert(1, ("next", self.number + 1))
        return "".join(
            f'    <atom:link rel="{rel}" href={quoteattr(self.url(number))}/>\n'
            for rel, number in rels
        )


def page_url(feed: str, number: int) -> str:
    """The address of page `number` of the paged feed at `feed` (page 1 is the feed)."""
    return feed if number == 1 else f"{feed}?page={number}"


def page_count(episodes: int, page_size: int | None) -> int:
    """How many pages a feed of `episodes` has with `page_size` items a page (None: one)."""
    if not page_size or episodes <= page_size:
        return 1
    return -(-episodes // page_size)


def _item(fg: FeedGenerator, item: FeedItem, shared: Shared) -> None:
    """Append one episode as an <item>."""
    hosts, links = shared.hosts, shared.links
    fe = fg.add_entry(order="append")
    title = feed_text(item.title).strip() or item.slug
    fe.title(title)
    fe.guid(item.guid, permalink=False)
    fe.link(href=links.episode(item.slug))
    fe.pubDate(item.publish_at)
    fe.enclosure(links.enclosure(item.audio_key), str(item.audio_size), item.audio_mime)
    notes = show_notes(item.description or "", item.summary or "", links.site)
    content, description, summary = notes
    # HTML in CDATA whose text is escaped: no app reads the words as markup (see feed.text);
    # itunes:summary says it as plain text for the apps that read that (podcastparser).
    fe.description(etree.CDATA(description or description_html(title)))
    if content:
        fe.content(content, type="CDATA")
    podcast, ext = fe.podcast, fe.podcast20
    podcast.itunes_summary(summary or title)
    if item.duration_seconds is not None:
        podcast.itunes_duration(str(int(round(item.duration_seconds))))
    if item.season:
        podcast.itunes_season(item.season)
        ext.season(item.season)
    if item.number:
        podcast.itunes_episode(item.number)
        ext.episode(item.number)
    podcast.itunes_episode_type(item.episode_type)
    ext.explicit(item.explicit)
    if item.image_key:
        ext.itunes_image(links.media(item.image_key))
    for host in hosts:
        ext.person(host)
    for guest in item.guests:
        photo = https_only(links.media(guest.photo_key))
        ext.person(Person(guest.name, role="guest", href=_guest_href(guest, links), img=photo))
    chapters = item.effective_chapters
    if chapters:
        ext.chapters(links.chapters(item.slug), CHAPTERS_MIME)
        ext.psc_chapters([(float(c["start"]), str(c.get("title", ""))) for c in chapters])
    if item.has_transcript:
        language = item.transcript_language or shared.language
        ext.transcript(links.transcript(item.slug), TRANSCRIPT_MIME, language=language)


def _generator() -> FeedGenerator:
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension(
        "podcast20", Podcast20Extension, Podcast20EntryExtension, atom=False, rss=True
    )
    return fg


def _serialize(items: Sequence[FeedItem], shared: Shared) -> list[bytes]:
    """Each item's XML, made by feedgen in one throwaway feed and serialized one by one."""
    fg = _generator()
    fg.title("items")
    fg.description("items")
    fg.link(href=shared.links.feed)
    for item in items:
        _item(fg, item, shared)
    root, _ = fg._create_rss()  # the tree rss_str() would serialize
    fragments = []
    for element in root[0].iterfind("item"):
        text = etree.tostring(element, encoding="unicode", pretty_print=True, with_tail=False)
        # Standalone, <item> repeats the root's namespace declarations: drop them.
        item_xml = profile_references("<item>" + text[text.index(">") + 1 :])
        fragments.append(item_xml.encode())  # UTF-8: half the memory of a Cyrillic str
    return fragments


@dataclass(frozen=True)
class Fragment:
    """One item's XML and its digest, made once."""

    xml: bytes
    digest: bytes

    @classmethod
    def of(cls, xml: bytes) -> Fragment:
        """The fragment of this XML."""
        return cls(xml, hashlib.blake2b(xml, digest_size=16).digest())


# Items are gzipped in runs cut where an item's digest says so (content-defined, as rsyncable
# gzip does): an edit or a new episode recompresses its own run only, and a run of ~32 items
# (~160 KB) loses little against one stream (deflate looks back 32 KB at most).
RUN_CUT = 32
RUN_MAX = 128


def _runs(pieces: Sequence[Fragment]) -> list[Sequence[Fragment]]:
    runs, start = [], 0
    for index, piece in enumerate(pieces, start=1):
        if piece.digest[0] % RUN_CUT == 0 or index - start >= RUN_MAX:
            runs.append(pieces[start:index])
            start = index
    if start < len(pieces):
        runs.append(pieces[start:])
    return runs


def _deflate(data: bytes, final: bool = False) -> bytes:
    # A compressor of its own per piece refers back only into its own piece, so the pieces
    # joined are one valid deflate stream (what pigz does).
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(
        zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH
    )


@dataclass(frozen=True)
class Assembled:
    """A feed's bytes, gzipped, and the digest its ETag is made of."""

    body: bytes
    gzipped: bytes
    digest: str


def _render_items(items: Sequence[FeedItem], shared: Shared) -> list[bytes]:
    """Each item's XML; an item whose data cannot be rendered is logged and left out ("")."""
    if not items:
        return []
    fragments: list[bytes] = []
    for start in range(0, len(items), SERIALIZE_BATCH):
        fragments += _render_batch(items[start : start + SERIALIZE_BATCH], shared)
    return fragments


def _render_batch(items: Sequence[FeedItem], shared: Shared) -> list[bytes]:
    """One batch's XML: one feedgen tree for the batch, or item by item if one fails."""
    try:
        return _serialize(items, shared)
    except Exception:  # noqa: BLE001 - find the culprit below, one item at a time
        pass
    fragments = []
    for item in items:
        try:
            [fragment] = _serialize([item], shared)
        except Exception:  # noqa: BLE001 - no episode's data may take the whole feed down
            log.exception(
                "feed: left out episode %s (%s): its data cannot be rendered", item.guid, item.slug
            )
            fragment = b""
        fragments.append(fragment)
    return fragments


@dataclass
class Kept:
    """What one feed (or page) keeps between renders: each item's fragment, made under the
    `shared` key (another key voids them), and each run's deflate stream."""

    shared: Any = None
    fragments: dict[FeedItem, Fragment] = field(default_factory=dict)
    runs: dict[tuple[bytes, ...], bytes] = field(default_factory=dict)


def assemble_feed(
    show: Show,
    items: Sequence[FeedItem],
    links: FeedLinks,
    kept: Kept | None = None,
    page: Page | None = None,
) -> Assembled:
    """The feed's bytes for the show and its public episodes (given newest first), with their
    gzip and digest, each made from the items' pieces; with `page`, only that page's share
    of them, and the links to the other pages.

    Each <item> is a pure function of its FeedItem and what it shares with the channel (hosts,
    URLs, language), so what is `kept` by the caller between renders lets an edit re-render
    and recompress only what changed; the bytes are the same whatever was kept, on every
    worker.
    """
    fg = _generator()
    hosts = _channel(fg, show, items, links, page)
    shared = Shared(tuple(hosts), links, show.language or DEFAULT_LANGUAGE)
    if page is not None:
        items = items[(page.number - 1) * page.size : page.number * page.size]
    kept = kept if kept is not None else Kept()
    if kept.shared != shared.key:
        kept.shared, kept.fragments = shared.key, {}
    known = kept.fragments
    missing = [item for item in items if item not in known]
    rendered = _render_items(missing, shared)
    fresh = {item: Fragment.of(xml) for item, xml in zip(missing, rendered, strict=True)}
    pieces = [fresh[item] if item in fresh else known[item] for item in items]
    kept.fragments = dict(zip(items, pieces, strict=True))  # exactly this feed's items
    head = profile_references(fg.rss_str(pretty=True).decode())
    cut = head.rindex("</channel>")
    paging = page.links() if page is not None and page.last > 1 else ""
    opening = (head[:cut].rstrip() + "\n" + paging).encode()
    closing = head[cut:].encode()
    body = b"".join([opening, *(piece.xml for piece in pieces), closing])
    trailer = struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF)
    made: dict[tuple[bytes, ...], bytes] = {}
    parts = [GZIP_HEADER, _deflate(opening)]
    for run in _runs(pieces):
        key = tuple(piece.digest for piece in run)
        made[key] = kept.runs.get(key) or _deflate(b"".join(piece.xml for piece in run))
        parts.append(made[key])
    kept.runs = made  # exactly this feed's runs
    gzipped = b"".join([*parts, _deflate(closing, final=True), trailer])
    digest = hashlib.sha256(opening + b"".join(piece.digest for piece in pieces) + closing)
    return Assembled(body, gzipped, digest.hexdigest()[:32])
