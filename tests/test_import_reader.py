"""Reading a whole source show over HTTP: autodiscovery, moved feeds, paged archives, redirects."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from support.feed_server import FeedServer, gzipped

from podcast.imports.fetch import FetchError, download_to
from podcast.imports.parse import FeedError
from podcast.imports.reader import MAX_FEED_HOPS, discover_feed, read_source

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


def serve(server: FeedServer, path: str, name: str) -> str:
    return server.add(path, (FEEDS / name).read_bytes())


def moved_feed(title: str, new_url: str = "") -> bytes:
    moved = f"<itunes:new-feed-url>{new_url}</itunes:new-feed-url>" if new_url else ""
    return f"""<?xml version="1.0"?>
    <rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
    <title>{title}</title>{moved}
    <item><title>{title} 1</title><guid>{title}-1</guid>
    <enclosure url="/media/{title}.mp3" length="10" type="audio/mpeg"/></item>
    </channel></rss>""".encode()


def test_a_host_feed_is_read_with_the_url_it_was_given(feed_server: FeedServer) -> None:
    url = serve(feed_server, "/rss", "libsyn.xml")
    show = read_source(url, allow_private=True)
    assert show.feed_url == url and show.title == "Majlis" and len(show.episodes) == 2
    assert feed_server.requests[0].headers["User-Agent"].startswith("podcast-publishing-service/")


def test_a_gzipped_feed_is_read(feed_server: FeedServer) -> None:
    url = feed_server.add(
        "/rss",
        gzipped((FEEDS / "buzzsprout.xml").read_bytes()),
        headers={"Content-Encoding": "gzip"},
    )
    assert read_source(url, allow_private=True).title == "Azattyq Asia"


def test_a_redirect_chain_records_the_301_not_the_302(feed_server: FeedServer) -> None:
    feed_server.redirect("/old/feed.xml", "/feed.xml", status=301)
    feed_server.redirect("/feed.xml", "/cdn/today/relative.xml", status=302)
    serve(feed_server, "/cdn/today/relative.xml", "relative.xml")
    show = read_source(feed_server.url("/old/feed.xml"), allow_private=True)
    assert show.feed_url == feed_server.url("/feed.xml")
    # Relative URLs resolve against where the bytes came from.
    assert show.episodes[0].enclosure is not None
    assert show.episodes[0].enclosure.url == feed_server.url("/cdn/today/media/one.mp3")


def test_a_web_page_leads_to_the_feed_it_names(feed_server: FeedServer) -> None:
    feed_server.add(
        "/majlis/", (FEEDS / "page-with-feed.html").read_bytes(), content_type="text/html"
    )
    serve(feed_server, "/majlis/feeds/podcast.xml", "anchor.xml")
    show = read_source(feed_server.url("/majlis/"), allow_private=True)
    assert show.feed_url == feed_server.url("/majlis/feeds/podcast.xml")
    assert show.title == "Bishkek After Dark"


def test_a_web_page_without_a_feed_link_is_a_sentence(feed_server: FeedServer) -> None:
    url = feed_server.add(
        "/about", (FEEDS / "page-without-feed.html").read_bytes(), content_type="text/html"
    )
    with pytest.raises(FeedError) as caught:
        read_source(url, allow_private=True)
    assert str(caught.value) == (
        f"{url} is a web page that names no RSS feed; give the address of the podcast's feed"
        " itself."
    )


def test_an_rss_feed_served_as_text_html_is_still_read(feed_server: FeedServer) -> None:
    url = feed_server.add(
        "/rss", (FEEDS / "podbean.xml").read_bytes(), content_type="text/html; charset=UTF-8"
    )
    assert read_source(url, allow_private=True).title == "Ozod Radio Stories"


def test_discovery_takes_the_first_rss_link() -> None:
    page = (FEEDS / "page-with-feed.html").read_bytes()
    assert discover_feed(page, "https://www.example.org/majlis/") == (
        "https://www.example.org/majlis/feeds/podcast.xml"
    )


def test_new_feed_url_is_followed_and_recorded(feed_server: FeedServer) -> None:
    feed_server.add("/old.xml", moved_feed("old", feed_server.url("/new.xml")))
    feed_server.add("/new.xml", moved_feed("new"))
    show = read_source(feed_server.url("/old.xml"), allow_private=True)
    assert show.feed_url == feed_server.url("/new.xml")
    assert [e.guid for e in show.episodes] == ["new-1"]
    assert show.problems == []


def test_a_new_feed_url_that_cannot_be_read_keeps_the_old_feed(feed_server: FeedServer) -> None:
    feed_server.add("/old.xml", moved_feed("old", "/gone.xml"))
    show = read_source(feed_server.url("/old.xml"), allow_private=True)
    assert show.feed_url == feed_server.url("/old.xml")
    assert [e.guid for e in show.episodes] == ["old-1"]
    assert len(show.problems) == 1
    assert show.problems[0].startswith(f"The feed says it moved to {feed_server.url('/gone.xml')}")
    assert "(404)" in show.problems[0]


def test_new_feed_urls_in_a_loop_stop(feed_server: FeedServer) -> None:
    feed_server.add("/a.xml", moved_feed("a", "/b.xml"))
    feed_server.add("/b.xml", moved_feed("b", "/a.xml"))
    show = read_source(feed_server.url("/a.xml"), allow_private=True)
    assert show.feed_url == feed_server.url("/b.xml")
    assert len(feed_server.requests) == 2


def test_new_feed_urls_stop_at_the_hop_limit(feed_server: FeedServer) -> None:
    for hop in range(MAX_FEED_HOPS + 3):
        feed_server.add(f"/{hop}.xml", moved_feed(f"f{hop}", f"/{hop + 1}.xml"))
    show = read_source(feed_server.url("/0.xml"), allow_private=True)
    assert show.feed_url == feed_server.url(f"/{MAX_FEED_HOPS}.xml")
    assert "moved more than 5 times" in show.problems[0]


def test_paged_archives_are_merged_once_each_and_loop_safe(feed_server: FeedServer) -> None:
    for n in (1, 2, 3):
        serve(feed_server, f"/archive/paged-{n}.xml", f"paged-{n}.xml")
    said: list[str] = []
    show = read_source(
        feed_server.url("/archive/paged-1.xml"), allow_private=True, progress=said.append
    )
    assert [e.guid for e in show.episodes] == ["p1a", "p1b", "p2a", "p3a"]
    assert show.problems == [
        "The guid p1b appears on more than one item of the feed; the first"
        " (\u201cEpisode p1b\u201d) was kept."
    ]
    assert show.title == "Paged Show (page 1)"
    assert show.episodes[3].enclosure is not None
    assert show.episodes[3].enclosure.url == feed_server.url("/archive/media/p3a.mp3")
    assert said[1:] == ["Reading page 2 of the feed", "Reading page 3 of the feed"]
    # Page 3 points back to page 1, which is not read again.
    assert [r.path for r in feed_server.requests].count("/archive/paged-1.xml") == 1


def test_pages_past_the_limit_are_reported(feed_server: FeedServer) -> None:
    for n in (1, 2, 3):
        serve(feed_server, f"/paged-{n}.xml", f"paged-{n}.xml")
    show = read_source(feed_server.url("/paged-1.xml"), allow_private=True, max_pages=2)
    assert [e.guid for e in show.episodes] == ["p1a", "p1b", "p2a"]
    assert show.problems[-1] == "The feed has more than 2 pages; the import read the first 2."


def test_a_missing_page_keeps_the_pages_before_it(feed_server: FeedServer) -> None:
    serve(feed_server, "/paged-1.xml", "paged-1.xml")
    show = read_source(feed_server.url("/paged-1.xml"), allow_private=True)
    assert [e.guid for e in show.episodes] == ["p1a", "p1b"]
    assert "Page 2 of the feed" in show.problems[0] and "(404)" in show.problems[0]


def test_a_404_enclosure_is_a_sentence_with_the_status(feed_server: FeedServer) -> None:
    serve(feed_server, "/relative.xml", "relative.xml")
    show = read_source(feed_server.url("/relative.xml"), allow_private=True)
    enclosure = show.episodes[0].enclosure
    assert enclosure is not None
    with pytest.raises(FetchError) as caught:
        download_to(enclosure.url, io.BytesIO(), allow_private=True, max_bytes=10**6)
    assert str(caught.value) == f"{enclosure.url} was not found at its host (404)."


def test_the_guard_holds_for_the_first_url_and_for_discovered_ones(
    feed_server: FeedServer, public_host: str
) -> None:
    serve(feed_server, "/feed.xml", "libsyn.xml")
    with pytest.raises(FetchError, match="this machine itself"):
        read_source(feed_server.url("/feed.xml"), allow_private=False)
    page = '<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml"'
    page += f' href="{feed_server.url("/feed.xml")}"></head></html>'
    feed_server.add("/page", page.encode(), content_type="text/html")
    with pytest.raises(FetchError, match="this machine itself"):
        read_source(public_host + "/page", allow_private=False)
    metadata = b'<!DOCTYPE html><html><link rel="alternate" type="application/rss+xml"'
    metadata += b' href="http://169.254.169.254/latest/meta-data/"></html>'
    feed_server.add("/meta", metadata, content_type="text/html")
    with pytest.raises(FetchError, match="link-local"):
        read_source(public_host + "/meta", allow_private=False)
    assert "/feed.xml" not in [r.path for r in feed_server.requests]
