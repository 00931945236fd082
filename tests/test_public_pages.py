"""The listeners' pages: content, 404s, headers, sanitization, sitemap, bounded queries."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import lxml.etree
import lxml.html
import pytest
from sqlalchemy import event
from support.data import COVER, SAMPLE_MP3

from podcast.extensions import db
from podcast.models import Episode, EpisodeGuest, Guest, Show
from podcast.services import queries
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, create_episode
from podcast.services.guests import set_photo
from podcast.services.shows import update_show
from podcast.services.uploads import Upload

SITE = "https://podcast.example.org"
VTT = """WEBVTT

00:00:00.000 --> 00:00:04.000
<v Bruce Pannier>Welcome to Majlis.

00:00:04.000 --> 00:00:08.000
<v Bruce Pannier>This week, sexual violence in Central Asia.

00:00:08.500 --> 00:00:12.000
<v Janette Akhilgova>Thank you, Bruce. Салом!
"""
EVIL = (
    "**Bold** and *kept*.\n\n<script>alert('x')</script>\n\n"
    '<img src=x onerror="alert(1)">\n\n[click](javascript:alert(1)) '
    "[safe](https://example.org/)"
)


def page(client: Any, url: str, status: int = 200) -> lxml.html.HtmlElement:
    """GET url, check the status, return the parsed document."""
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return lxml.html.fromstring(response.get_data(as_text=True))


def texts(doc: lxml.html.HtmlElement, xpath: str) -> list[str]:
    """The whitespace-normalised text of every element the xpath finds."""
    return [" ".join(el.text_content().split()) for el in doc.xpath(xpath)]


@pytest.fixture
def publish(show: Show, storage: Any) -> Callable[..., Episode]:
    """Create an episode through the pipeline, with an optional transcript."""

    def factory(title: str = "Silence and Impunity", transcript: str | None = None, **raw: Any):
        raw.setdefault("status", "published")
        data = parse_episode_input({"title": title, **raw}, partial=False, timezone=show.timezone)
        files = Attachments(
            audio=Upload(io.BytesIO(SAMPLE_MP3.read_bytes()), SAMPLE_MP3.name),
            transcript=Upload(io.BytesIO(transcript.encode()), "t.vtt") if transcript else None,
        )
        return create_episode(db.session, storage, show, data, files, max_bytes=2**30)

    return factory


def clone(template: Episode, count: int, guests: list[Guest] = (), start: int = 0) -> None:
    """Add `count` public episodes sharing the template's audio (fast: no pipeline)."""
    base = template.publish_at
    for i in range(start, start + count):
        episode = Episode(
            show_id=template.show_id,
            slug=f"bulk-{i}",
            title=f"Bulk episode {i}",
            summary=f"Summary {i}",
            status=template.status,
            publish_at=base - timedelta(days=i + 1),
            audio_id=template.audio_id,
        )
        episode.appearances = [EpisodeGuest(guest=g, position=n) for n, g in enumerate(guests)]
        db.session.add(episode)
    db.session.commit()


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


# --- home page -----------------------------------------------------------------------------


def test_home_lists_public_episodes_newest_first(client, publish):
    publish("Older one", publish_at="2026-01-10T09:00:00+00:00", summary="The older summary.")
    publish("Newer one", publish_at="2026-02-01T23:30:00+00:00")
    publish("A draft", status="draft")
    publish("Next year", status="scheduled", publish_at="2099-01-01T09:00:00+00:00")
    doc = page(client, "/")
    assert texts(doc, "//h1") == ["Majlis"]
    assert texts(doc, "//ol[@class='episode-list']//h3") == ["Newer one", "Older one"]
    first = texts(doc, "//ol[@class='episode-list']/li[1]//p[@class='meta']")[0]
    # 23:30 UTC is already 2 February in Prague, the show's time zone.
    assert "2 February 2026" in first and "0:17" in first
    assert "The older summary." in texts(doc, "//ol[@class='episode-list']/li[2]")[0]


def test_home_offers_feed_url_and_configured_directories(client, show, publish):
    update_show(db.session, show, {"directory_links": {"apple": "https://podcasts.apple.com/x"}})
    doc = page(client, "/")
    feed_input = doc.get_element_by_id("feed-url")
    assert feed_input.get("value") == f"{SITE}/feed.xml"
    assert doc.xpath("//label[@for='feed-url']")
    assert doc.xpath("//button[@data-copy='feed-url']")
    directory = doc.xpath("//ul[@class='directories']//a")
    assert [(a.text, a.get("href")) for a in directory] == [
        ("Apple Podcasts", "https://podcasts.apple.com/x")
    ]
    assert "Spotify" not in texts(doc, "//section[@id='subscribe']")[0]


def test_home_paginates_twenty_a_page_with_rel_links(client, publish):
    clone(publish("Newest"), 44)
    first = page(client, "/")
    assert len(first.xpath("//ol[@class='episode-list']/li")) == 20
    assert first.xpath("//head/link[@rel='next']/@href") == ["/?page=2"]
    assert not first.xpath("//head/link[@rel='prev']")
    third = page(client, "/?page=3")
    assert len(third.xpath("//ol[@class='episode-list']/li")) == 5
    assert third.xpath("//head/link[@rel='prev']/@href") == ["/?page=2"]
    assert not third.xpath("//head/link[@rel='next']")
    assert third.xpath("//link[@rel='canonical']/@href") == [f"{SITE}/?page=3"]
    second = page(client, "/?page=2")
    assert second.xpath("//head/link[@rel='prev']/@href") == ["/"]
    page(client, "/?page=4", 404)
    page(client, "/?page=zero", 404)


def test_search_matches_titles_notes_and_guest_names(client, publish, make_guest):
    guest = make_guest("Dilfuza Kurolova")
    publish("Water in the Ferghana valley", description="Rivers and **canals**.")
    publish("Elections", guests=[guest.id])
    publish("Migrant workers")
    assert texts(page(client, "/?q=ferghana"), "//h3") == ["Water in the Ferghana valley"]
    assert texts(page(client, "/?q=canals"), "//h3") == ["Water in the Ferghana valley"]
    results = page(client, "/?q=kurolova")
    assert texts(results, "//h3") == ["Elections"]
    assert results.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert results.get_element_by_id("search").get("value") == "kurolova"
    empty = page(client, "/?q=nothing+like+this")
    assert not empty.xpath("//h3")
    assert "No episode matches" in empty.text_content()


# --- episode page --------------------------------------------------------------------------


def test_episode_page_has_player_chapters_notes_guests_transcript(
    client, publish, make_guest, storage
):
    guest = make_guest("Janette Akhilgova", bio="Eurasia consultant at *Equality Now*.")
    set_photo(db.session, storage, guest, Upload(io.BytesIO(COVER.read_bytes()), "p.jpg"))
    episode = publish(
        "Silence and Impunity",
        summary="Three women explain.",
        description="Notes with a [link](https://example.org/report).",
        guests=[guest.id],
        chapters=[{"start": 0, "title": "Introduction"}, {"start": 6, "title": "The report"}],
        transcript=VTT,
        publish_at="2026-11-20T10:00:00+01:00",
    )
    doc = page(client, f"/shows/majlis/episodes/{episode.slug}")
    assert texts(doc, "//h1") == ["Silence and Impunity"]
    meta = texts(doc, "//header//p[@class='meta']")[0]
    assert "20 November 2026" in meta and "0:17" in meta
    audio = doc.get_element_by_id("player")
    assert audio.tag == "audio" and audio.get("preload") == "metadata"
    assert audio.get("src").startswith(f"/media/episodes/{episode.guid}/")
    assert doc.xpath("//a[@download]/@href") == [audio.get("src")]
    chapters = doc.xpath("//section[@class='chapters']//a")
    assert [a.get("href") for a in chapters] == [
        audio.get("src") + "#t=0",
        audio.get("src") + "#t=6",
    ]
    assert texts(doc, "//section[@class='chapters']//li") == [
        "0:00 Introduction",
        "0:06 The report",
    ]
    assert doc.xpath("//section[@class='notes']//a[@href='https://example.org/report']")
    assert texts(doc, "//section[@class='guests']//h3") == ["Janette Akhilgova"]
    assert doc.xpath("//section[@class='guests']//h3/a/@href") == ["/guests/janette-akhilgova"]
    assert doc.xpath("//section[@class='guests']//img/@alt") == ["Janette Akhilgova"]
    assert doc.xpath("//section[@class='guests']//em/text()") == ["Equality Now"]
    assert "With Janette Akhilgova" in texts(doc, "//p[@class='speakers']")[0]
    cues = texts(doc, "//section[@class='transcript']//p[@class='cue']")
    assert cues == [
        "0:00 Bruce Pannier Welcome to Majlis. This week, sexual violence in Central Asia.",
        "0:08 Janette Akhilgova Thank you, Bruce. Салом!",
    ]
    assert doc.xpath("//p[@class='cue'][2]/a/@data-seek") == ["8.5"]
    assert doc.xpath(f"//a[@href='/shows/majlis/episodes/{episode.slug}/transcript.vtt']")


def test_episode_page_links_previous_and_next(client, publish):
    first = publish("First", publish_at="2026-01-01T09:00:00+00:00")
    second = publish("Second", publish_at="2026-01-08T09:00:00+00:00")
    third = publish("Third", publish_at="2026-01-15T09:00:00+00:00")
    publish("Draft after", status="draft")
    middle = page(client, f"/shows/majlis/episodes/{second.slug}")
    assert middle.xpath("//nav[@class='neighbours']/a[@rel='prev']/@href") == [
        f"/shows/majlis/episodes/{first.slug}"
    ]
    assert middle.xpath("//nav[@class='neighbours']/a[@rel='next']/@href") == [
        f"/shows/majlis/episodes/{third.slug}"
    ]
    newest = page(client, f"/shows/majlis/episodes/{third.slug}")
    assert not newest.xpath("//nav[@class='neighbours']/a[@rel='next']")


def test_episode_page_shares_og_twitter_and_json_ld(client, publish, make_guest):
    guest = make_guest("Subhiya Mastonshoeva")
    episode = publish("Shared", summary="What it is about.", guests=[guest.id], number=3)
    doc = page(client, f"/shows/majlis/episodes/{episode.slug}")

    def meta(name: str) -> list[str]:
        return doc.xpath(f"//meta[@property='{name}' or @name='{name}']/@content")

    url = f"{SITE}/shows/majlis/episodes/{episode.slug}"
    assert doc.xpath("//link[@rel='canonical']/@href") == [url]
    assert meta("og:title") == ["Shared"] and meta("og:url") == [url]
    assert meta("og:description") == ["What it is about."]
    assert meta("og:audio")[0].endswith(".mp3") and meta("og:audio:type") == ["audio/mpeg"]
    assert meta("twitter:card") == ["summary"]
    data = json.loads(doc.xpath("//script[@type='application/ld+json']/text()")[0])
    assert data["@type"] == "PodcastEpisode" and data["name"] == "Shared"
    assert data["url"] == url and data["episodeNumber"] == 3
    assert data["associatedMedia"]["duration"] == "PT0H0M18S"
    assert data["partOfSeries"]["name"] == "Majlis"
    assert data["actor"] == [
        {
            "@type": "Person",
            "name": "Subhiya Mastonshoeva",
            "url": f"{SITE}/guests/subhiya-mastonshoeva",
        }
    ]


def test_home_has_podcast_series_json_ld(client, show):
    doc = page(client, "/")
    data = json.loads(doc.xpath("//script[@type='application/ld+json']/text()")[0])
    assert data["@type"] == "PodcastSeries"
    assert data["webFeed"] == f"{SITE}/feed.xml" and data["url"] == f"{SITE}/"


def test_notes_and_bios_are_sanitized_but_keep_formatting(client, publish, make_guest):
    guest = make_guest("Bio Person", bio=EVIL)
    episode = publish("Evil notes", description=EVIL, guests=[guest.id])
    pages = ((f"/shows/majlis/episodes/{episode.slug}", "//main"), ("/guests/bio-person", "//main"))
    for url, scope in pages:
        response = client.get(url)
        doc = lxml.html.fromstring(response.get_data(as_text=True))
        body = doc.xpath(scope)[0]
        assert not body.xpath(".//script"), url
        assert not body.xpath(".//*[@onerror or @onclick or @onload]"), url
        assert not body.xpath(".//a[starts-with(normalize-space(@href), 'javascript:')]"), url
        assert body.xpath(".//div[@class='prose']//strong[text()='Bold']"), url
        assert body.xpath(".//div[@class='prose']//em[text()='kept']"), url
        assert body.xpath(".//div[@class='prose']//a[@href='https://example.org/']"), url


# --- visibility and 404s -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["draft", "scheduled", "unknown"])
def test_unpublished_and_unknown_episodes_are_a_helpful_404(client, publish, kind):
    if kind == "draft":
        slug = publish("Secret draft", status="draft").slug
    elif kind == "scheduled":
        slug = publish("Later", status="scheduled", publish_at="2099-01-01T00:00:00Z").slug
    else:
        slug = "no-such-episode"
    doc = page(client, f"/shows/majlis/episodes/{slug}", 404)
    assert texts(doc, "//h1") == ["Page not found"]
    assert doc.xpath("//main//a[@href='/']")
    assert doc.xpath("//main//form[@role='search']//input[@name='q']")
    assert doc.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert "Secret draft" not in lxml.html.tostring(doc, encoding="unicode")


def test_scheduled_episode_appears_by_itself_at_its_time(client, publish, monkeypatch):
    release = datetime(2099, 1, 1, 9, 0, tzinfo=UTC)
    episode = publish("Coming soon", status="scheduled", publish_at=release.isoformat())
    page(client, f"/shows/majlis/episodes/{episode.slug}", 404)
    assert "Coming soon" not in client.get("/").get_data(as_text=True)
    later = release + timedelta(seconds=1)
    monkeypatch.setattr(queries, "utcnow", lambda: later)
    assert texts(page(client, f"/shows/majlis/episodes/{episode.slug}"), "//h1") == ["Coming soon"]
    assert "Coming soon" in texts(page(client, "/"), "//h3")


def test_guest_page_lists_published_episodes_only(client, publish, make_guest, storage):
    guest = make_guest(
        "Dilfuza Kurolova",
        bio="A *human rights* lawyer.",
        website="https://example.org/dk",
        links=[{"label": "Mastodon", "url": "https://example.social/@dk"}],
    )
    set_photo(db.session, storage, guest, Upload(io.BytesIO(COVER.read_bytes()), "p.jpg"))
    publish("On air", guests=[guest.id])
    publish("Not yet", status="draft", guests=[guest.id])
    doc = page(client, f"/guests/{guest.slug}")
    assert texts(doc, "//h1") == ["Dilfuza Kurolova"]
    assert doc.xpath("//main//img/@alt") == ["Dilfuza Kurolova"]
    assert doc.xpath("//div[@class='prose']//em/text()") == ["human rights"]
    assert set(doc.xpath("//ul[@class='links']//a/@href")) == {
        "https://example.org/dk",
        "https://example.social/@dk",
    }
    assert texts(doc, "//ol[@class='episode-list']//h3") == ["On air"]


def test_guest_on_drafts_only_or_unknown_is_404(client, publish, make_guest):
    guest = make_guest("Hidden Guest")
    publish("Unreleased", status="draft", guests=[guest.id])
    page(client, f"/guests/{guest.slug}", 404)
    page(client, "/guests/nobody", 404)


# --- every page: headers, feed link, no inline code ----------------------------------------


def test_every_page_has_strict_headers_feed_link_and_no_inline_code(client, publish, make_guest):
    guest = make_guest("Header Guest")
    episode = publish(
        "Headers", guests=[guest.id], transcript=VTT, chapters=[{"start": 1, "title": "A"}]
    )
    for url, status in (
        ("/", 200),
        ("/?q=headers", 200),
        (f"/shows/majlis/episodes/{episode.slug}", 200),
        (f"/guests/{guest.slug}", 200),
        ("/shows/majlis/episodes/missing", 404),
    ):
        response = client.get(url)
        assert response.status_code == status, url
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY" or "frame-ancestors 'none'" in csp
        doc = lxml.html.fromstring(response.get_data(as_text=True))
        feeds = doc.xpath("//head/link[@rel='alternate' and @type='application/rss+xml']/@href")
        assert feeds == ["/feed.xml"], url
        for script in doc.xpath("//script"):
            assert script.get("src") or script.get("type") == "application/ld+json", url
        assert not doc.xpath("//style | //*[@style]"), url
        assert not doc.xpath("//*[@*[starts-with(name(), 'on')]]"), url
        for img in doc.xpath("//img"):
            assert img.get("alt"), url
        if status == 200:
            canonical = doc.xpath("//link[@rel='canonical']/@href")
            assert len(canonical) == 1 and canonical[0].startswith(SITE + "/"), url
        levels = [int(h.tag[1]) for h in doc.xpath("//h1 | //h2 | //h3 | //h4")]
        assert levels[0] == 1 and all(b - a <= 1 for a, b in pairwise(levels)), url
        assert doc.xpath("//main[@id='main']") and doc.xpath("//header") and doc.xpath("//footer")


def test_sitemap_and_robots(client, publish, make_guest):
    guest = make_guest("Mapped Guest")
    hidden = make_guest("Hidden Guest")
    episode = publish("Mapped", guests=[guest.id])
    draft = publish("Draft", status="draft", guests=[hidden.id])
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    tree = lxml.etree.fromstring(response.data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = tree.xpath("//s:url/s:loc/text()", namespaces=ns)
    assert locations == [
        f"{SITE}/",
        f"{SITE}/shows/majlis/episodes/{episode.slug}",
        f"{SITE}/guests/{guest.slug}",
    ]
    assert draft.slug not in response.get_data(as_text=True)
    assert len(tree.xpath("//s:lastmod", namespaces=ns)) == 3
    robots = client.get("/robots.txt")
    assert robots.mimetype == "text/plain"
    lines = robots.get_data(as_text=True).splitlines()
    assert f"Sitemap: {SITE}/sitemap.xml" in lines and "Disallow: /admin/" in lines


# --- bounded queries -----------------------------------------------------------------------


def test_episode_page_runs_the_same_queries_whatever_the_guests(client, publish, make_guest):
    one = publish("One guest", guests=[make_guest("Solo Guest").id], transcript=VTT)
    many = [make_guest(f"Guest Number {i}") for i in range(8)]
    several = publish("Eight guests", guests=[g.id for g in many], transcript=VTT)
    # warm the transcript cache for both runs alike
    client.get(f"/shows/majlis/episodes/{one.slug}")
    client.get(f"/shows/majlis/episodes/{several.slug}")
    with counting_queries() as few:
        assert client.get(f"/shows/majlis/episodes/{one.slug}").status_code == 200
    with counting_queries() as lots:
        assert client.get(f"/shows/majlis/episodes/{several.slug}").status_code == 200
    assert len(lots) == len(few) <= 10


def test_episode_list_runs_the_same_queries_for_5_or_50_episodes(client, publish, make_guest):
    guests = [make_guest(f"Panel Guest {i}") for i in range(4)]
    template = publish("Template", guests=[g.id for g in guests])
    clone(template, 4, guests)
    with counting_queries() as small:
        assert client.get("/").status_code == 200
    clone(template, 45, guests, start=4)
    with counting_queries() as large:
        doc = page(client, "/?page=2")
    assert len(doc.xpath("//ol[@class='episode-list']/li")) == 20
    with counting_queries() as guest_page:
        assert client.get(f"/guests/{guests[0].slug}").status_code == 200
    assert len(large) == len(small) <= 10
    assert len(guest_page) <= 10


def test_public_pages_may_be_cached_briefly_but_not_past_a_scheduled_release(client, make_episode):
    from datetime import timedelta

    from podcast.models import utcnow

    make_episode()
    # A draft's date is no release: it must not shorten how long pages may be kept.
    make_episode(
        title="Draft", status="draft", publish_at=(utcnow() + timedelta(seconds=20)).isoformat()
    )
    response = client.get("/")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "cookie" not in response.headers.get("Vary", "").lower()
    make_episode(
        title="Soon", status="scheduled", publish_at=(utcnow() + timedelta(seconds=20)).isoformat()
    )
    max_age = int(client.get("/").headers["Cache-Control"].rsplit("=", 1)[1])
    assert 0 <= max_age <= 20


def test_search_is_case_insensitive_in_cyrillic_too(client, make_episode, make_guest):
    guest = make_guest("Дилфуза Куролова")
    make_episode(title="Выборы в Узбекистане", guests=[guest.id])
    make_episode(title="Something else")
    for query in ("выборы", "ВЫБОРЫ", "куролова"):
        body = client.get("/", query_string={"q": query}).get_data(as_text=True)
        assert "Выборы в Узбекистане" in body, query
        assert "Something else" not in body, query
