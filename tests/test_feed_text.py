"""What apps read in the feed: notes never taken for markup, Apple's HTML, guests' links."""

from __future__ import annotations

import io

import feedparser
import lxml.html
import podcastparser
import pytest
from lxml import etree
from support.app import make_app

from podcast.extensions import db
from podcast.feed.text import APPLE_TAGS

FEED = "https://podcast.example.org/feed.xml"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
PERSON = "{https://podcastindex.org/namespace/1.0}person"
HOSTILE = "Tom & Jerry <3 <script>alert(1)</script> AT&T <b>not bold</b> a < b"


def item(client) -> etree._Element:
    """The feed's first item."""
    response = client.get("/feed.xml")
    assert response.status_code == 200
    return etree.fromstring(response.data).find("channel/item")


@pytest.mark.parametrize("field", ["summary", "description"])
def test_notes_reach_every_reader_as_words(client, make_episode, field):
    make_episode("Words", **{field: HOSTILE})
    body = client.get("/feed.xml").data
    # feedparser reads <description> as HTML, then itunes:summary (plain) over it.
    entry = feedparser.parse(body).entries[0]
    assert lxml.html.fromstring(entry.summary).text_content().replace("\u2060", "") == HOSTILE
    parsed = podcastparser.parse(FEED, io.BytesIO(body))["episodes"][0]
    # From itunes:summary: plain text where a "<" that looks like a tag has a WORD JOINER after it.
    assert parsed["description"].replace("\u2060", "") == HOSTILE
    described = etree.fromstring(body).find("channel/item").findtext("description")
    assert lxml.html.fromstring(described).text_content() == HOSTILE
    assert "<script" not in described and "<b>" not in described


def test_content_encoded_keeps_to_the_html_apple_documents(client, make_episode):
    notes = (
        "# The report\n\n## Who\n\nText with a [link](/episodes/x) and **bold** _it_.\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nline one\nline two\n```\n\n---\n\n"
        "> quoted\n\n- one\n- two\n\n1. first\n"
    )
    make_episode("Formatting", description=notes)
    html = item(client).findtext(CONTENT)
    fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    tags = {element.tag for element in fragment.iter()} - {"div"}
    assert tags <= APPLE_TAGS, tags - APPLE_TAGS
    assert "<p><strong>The report</strong></p>" in html
    assert "<p><strong>Who</strong></p>" in html
    assert 'href="https://podcast.example.org/episodes/x"' in html
    assert "line one<br>line two" in html
    assert {"ul", "ol", "li", "a", "strong", "em"} <= tags
    text = fragment.text_content()
    for words in ("The report", "quoted", "first", "line two", "1", "2"):
        assert words in text


@pytest.mark.parametrize(
    ("website", "expected"),
    [
        ("https://example.org/tom", "https://example.org/tom"),
        ("", "http://localhost:8000/guests/tom-jerry"),
    ],
    ids=["their-website", "their-page"],
)
def test_guests_get_an_href_whatever_the_site_s_scheme(tmp_path, website, expected):
    from support.data import SAMPLE_MP3, SHOW_SETTINGS

    from podcast.services.episode_input import parse_episode_input
    from podcast.services.episodes import Attachments, create_episode
    from podcast.services.guests import create_guest, parse_guest_input
    from podcast.services.shows import create_show
    from podcast.services.uploads import Upload

    app = make_app(tmp_path, SITE_URL="http://localhost:8000")
    with app.app_context():
        db.create_all()
        try:
            show = create_show(db.session, dict(SHOW_SETTINGS), "http://localhost:8000/feed.xml")
            guest = create_guest(
                db.session, parse_guest_input({"name": "Tom Jerry", "website": website})
            )
            data = parse_episode_input(
                {"title": "T", "status": "published", "guests": [guest.id]},
                partial=False, timezone="UTC",
            )  # fmt: skip
            files = Attachments(audio=Upload(io.BytesIO(SAMPLE_MP3.read_bytes()), "a.mp3"))
            create_episode(db.session, app.extensions["podcast.storage"], show, data, files,
                           max_bytes=2**30)  # fmt: skip
            persons = item(app.test_client()).findall(PERSON)
            [href] = [p.get("href") for p in persons if p.get("role") == "guest"]
            assert href == expected
        finally:
            db.session.remove()
            db.engine.dispose()
