"""The W3C feed validator's rules (tests/feed_validator.py) on the sample show and a hostile one.

Allowed: the validator does not know the Podlove Simple Chapters namespace (UnknownNamespace)
and lists Podcasting 2.0 as a namespace it does not support (UnsupportedNamespace); nothing
else, error or warning.
"""

from __future__ import annotations

import io

import feedparser
import podcastparser
import pytest
from lxml import etree
from support.data import COVER
from support.feed_validator import check, problems

from podcast.extensions import db
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, update_episode
from podcast.services.guests import set_photo
from podcast.services.shows import set_artwork, update_show
from podcast.services.uploads import Upload

FEED = "https://podcast.example.org/feed.xml"
ALLOWED = {"UnknownNamespace", "UnsupportedNamespace"}
HOSTILE_TITLES = [
    "Tom & Jerry <3",
    "R&amp;D &copy; 2026 &#169;",
    "<script>alert(1)</script>",
    "a < b && c > d",
    "Use <b>bold</b> & </i> here",
    "]]> <![CDATA[ x",
    "Q&A: Ғ ҳ қ & Выборы <в> Узбекистане",
]
VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v Tom & Jerry>Tom & Jerry <3\n"
NOTES = """# Heading & more

Text with <b>raw html</b>, an [inside link](/episodes/other) & [outside](https://example.org/?a=1&b=2).

| a | b |
|---|---|
| 1 & 2 | <3 |

```
code <here> & there
```

> quoted &amp; ]]> end
"""


def fetch(client) -> bytes:
    """The feed's bytes (asserting a 200)."""
    response = client.get("/feed.xml")
    assert response.status_code == 200
    return response.get_data()


def test_the_checker_finds_what_the_validator_finds():
    # Each rule can fail: a feed made to break them.
    bad = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        b'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:x="urn:x">\n<channel>\n'
        b"<title>Tom &amp;amp; Jerry</title>\n<link>https://e.org/</link>\n"
        b"<description>Say &lt;b&gt;hi&lt;/b&gt;</description>\n"
        b"<itunes:explicit>yes</itunes:explicit>\n<itunes:category text='Bogus'/>\n"
        b"<item><title>&lt;3 &lt;i</title><guid isPermaLink='false'>1</guid>"
        b"<description>&lt;script&gt;x&lt;/script&gt; &lt;a href='/r'&gt;r&lt;/a&gt;</description>"
        b"<enclosure url='https://e.org/a.ogg' length='x' type='audio/ogg'/>"
        b"<itunes:duration>1.5</itunes:duration><pubDate>Mon, 24 Nov 2026 10:00:00 +0000</pubDate>"
        b"</item>\n</channel>\n</rss>\n"
    )
    found = {event.name for event in check(bad, FEED)}
    assert {
        "ContainsHTML", "CharacterData", "InvalidTrueFalse", "InvalidItunesCategory",
        "SecurityRisk", "ContainsRelRef", "InvalidIntegerAttribute", "UnsupportedItunesFormat",
        "InvalidDuration", "IncorrectDOW", "NotSufficientlyUnique", "MissingAtomSelfLink",
        "UnknownNamespace", "MissingItunesEmail", "MissingItunesElement",
    } <= found  # fmt: skip


def test_the_sample_show_s_feed_passes(runner, client):
    assert runner.invoke(args=["load-episodes"]).exit_code == 0
    body = fetch(client)
    assert problems(body, FEED, allow=ALLOWED) == []
    assert {e.name for e in check(body, FEED)} <= ALLOWED


@pytest.fixture
def hostile(make_episode, make_guest, show, storage):
    """A show and episodes whose every text is made to look like markup."""
    update_show(
        db.session,
        show,
        {
            "title": "Majlis & Co <3",
            "description": "News & views <b>bold</b> &amp; </p> more",
            "author": "RFE/RL & friends <i>",
            "copyright": "© RFE/RL & </b>",
            "subtitle": "A < B & C",
        },
    )
    set_artwork(db.session, storage, show, Upload(io.BytesIO(COVER.read_bytes()), "cover.jpg"))
    guest = make_guest("Tom & Jerry <3", website="https://example.org/tom")
    set_photo(db.session, storage, guest, Upload(io.BytesIO(COVER.read_bytes()), "p.jpg"))
    episodes = []
    for number, title in enumerate(HOSTILE_TITLES, start=1):
        episodes.append(
            make_episode(
                title,
                summary=f"Summary of {title} \x85 \ufffd" if number % 2 else "",
                description=NOTES,
                season="1",
                number=str(number),
                guests=[guest.id],
                chapters=[{"start": 0, "title": "Intro & <start>"}, {"start": 5, "title": title}],
            )
        )
    data = parse_episode_input({}, partial=True, timezone="UTC")
    update_episode(db.session, storage, episodes[0], data,
                   Attachments(transcript=Upload(io.BytesIO(VTT), "t.vtt")),
                   max_bytes=2**30)  # fmt: skip
    return episodes


def test_a_feed_of_hostile_titles_and_notes_passes(client, hostile):
    body = fetch(client)
    assert problems(body, FEED, allow=ALLOWED) == []
    # ... and every reader still reads the words, not markup.
    root = etree.fromstring(body)
    titles = [item.findtext("title") for item in root.iter("item")]
    assert sorted(t.replace("\u2060", "") for t in titles) == sorted(HOSTILE_TITLES)
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    assert sorted(e.title.replace("\u2060", "") for e in parsed.entries) == sorted(HOSTILE_TITLES)
    episodes = podcastparser.parse(FEED, io.BytesIO(body))["episodes"]
    assert sorted(e["title"].replace("\u2060", "") for e in episodes) == sorted(HOSTILE_TITLES)
