"""Read a whole source show from a URL: feed autodiscovery, itunes:new-feed-url, paged archives.

The URL a producer gives may be the show's web page (its feed is found through
`<link rel="alternate" type="application/rss+xml">`), a feed that has moved
(`itunes:new-feed-url`, followed to a hop limit), or the first page of an RFC 5005 paged feed
(`atom:link rel="next"`, followed loop-safe to a page limit, items merged by guid). The URL
recorded as the show's feed follows 301s but not 302s (see imports.fetch).
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin

from podcast.imports.fetch import FEED_MAX_BYTES, Fetched, FetchError, fetch_document
from podcast.imports.parse import FeedError, FeedPage, keep_first, looks_like_html, parse_feed_page
from podcast.imports.source import SourceShow
from podcast.wording import say

MAX_FEED_HOPS = 5  # web page -> feed, and each itunes:new-feed-url, count as one hop
MAX_PAGES = 100
_FEED_TYPES = ("application/rss+xml",)


class _FeedLinks(HTMLParser):
    """Collects the href of every <link rel="alternate" type="application/rss+xml">."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rels and kind in _FEED_TYPES and values.get("href", "").strip():
            self.found.append(values["href"].strip())


def discover_feed(body: bytes, base_url: str) -> str:
    """The absolute URL of the first RSS feed an HTML page names, "" when it names none."""
    links = _FeedLinks()
    links.feed(body.decode("utf-8", errors="replace"))
    links.close()
    return urldefrag(urljoin(base_url, links.found[0]))[0] if links.found else ""


def _locate(
    url: str, *, allow_private: bool, site_url: str, max_bytes: int
) -> tuple[Fetched, FeedPage, list[str]]:
    """The feed document to import: after autodiscovery and itunes:new-feed-url hops."""
    problems: list[str] = []
    current, hops = url.strip(), 0
    visited: set[str] = set()
    chosen: tuple[Fetched, FeedPage] | None = None
    while True:
        visited.add(current)
        try:
            fetched = fetch_document(
                current, allow_private=allow_private, site_url=site_url, max_bytes=max_bytes
            )
            if looks_like_html(fetched.body):
                found = discover_feed(fetched.body, fetched.final_url)
                if not found:
                    raise FeedError(
                        say(
                            "%(url)s is a web page that names no RSS feed; give the address of"
                            " the podcast's feed itself.",
                            url=current,
                        )
                    )
                if found in visited or hops >= MAX_FEED_HOPS:
                    raise FeedError(say("%(url)s leads to no feed in a few steps.", url=url))
                current, hops = found, hops + 1
                continue
            page = parse_feed_page(fetched.body, fetched.final_url)
        except FetchError as exc:
            if chosen is None:
                raise
            # The moved-to feed cannot be read: the one that announced the move still can.
            problems.append(
                say(
                    "The feed says it moved to %(url)s, but that could not be read (%(reason)s);"
                    " the import read %(old)s instead.",
                    url=current,
                    reason=exc.message,
                    old=chosen[0].url,
                )
            )
            break
        page.show.feed_url = fetched.url
        chosen = (fetched, page)
        moved = page.show.new_feed_url
        target = urldefrag(urljoin(fetched.final_url, moved))[0] if moved else ""
        if not target or target in visited or target in (fetched.url, fetched.final_url):
            break
        if hops >= MAX_FEED_HOPS:
            problems.append(
                say(
                    "The feed moved more than %(limit)s times (itunes:new-feed-url); the import"
                    " stopped at %(url)s.",
                    limit=MAX_FEED_HOPS,
                    url=fetched.url,
                )
            )
            break
        current, hops = target, hops + 1
    return chosen[0], chosen[1], problems


def read_source(
    url: str,
    *,
    allow_private: bool,
    max_pages: int = MAX_PAGES,
    progress: Callable[[str], None] | None = None,
    site_url: str = "",
    max_bytes: int = FEED_MAX_BYTES,
) -> SourceShow:
    """The show at url with every item across its pages; FetchError (or FeedError) when none."""
    if progress is not None:
        progress(say("Reading the feed %(url)s", url=url))
    fetched, page, problems = _locate(
        url, allow_private=allow_private, site_url=site_url, max_bytes=max_bytes
    )
    show = page.show
    seen: dict[str, str] = {}
    reported: set[str] = set()
    show.episodes, duplicates = keep_first(show.episodes, seen, reported)
    show.problems = [*problems, *show.problems, *duplicates]
    read = {fetched.url, fetched.final_url, page.self_url}
    next_url, pages = page.next_url, 1
    while next_url and next_url not in read:
        if pages >= max_pages:
            show.problems.append(
                say(
                    "The feed has more than %(limit)s pages; the import read the first %(limit)s.",
                    limit=max_pages,
                )
            )
            break
        pages += 1
        if progress is not None:
            progress(say("Reading page %(page)s of the feed", page=pages))
        read.add(next_url)
        try:
            more = fetch_document(
                next_url, allow_private=allow_private, site_url=site_url, max_bytes=max_bytes
            )
            older = parse_feed_page(more.body, more.final_url)
        except FetchError as exc:
            show.problems.append(
                say(
                    "Page %(page)s of the feed (%(url)s) could not be read: %(reason)s The"
                    " episodes of the pages before it were read.",
                    page=pages,
                    url=next_url,
                    reason=exc.message,
                )
            )
            break
        read.update({more.url, more.final_url, older.self_url} - {""})
        episodes, duplicates = keep_first(older.show.episodes, seen, reported)
        show.episodes.extend(episodes)
        show.problems.extend([*older.show.problems, *duplicates])
        next_url = older.next_url
    return show
