"""The feed's content, read back by gPodder's podcastparser, feedparser and lxml."""

from __future__ import annotations

import calendar
import io
import uuid
from datetime import timedelta
from email.utils import parsedate_to_datetime

import feedparser
import podcastparser
import pytest
from lxml import etree
from sqlalchemy import update
from support.analytics import enclosure_url, set_analytics
from support.data import COVER

from podcast.extensions import db
from podcast.models import Episode, utcnow
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, update_episode
from podcast.services.guests import set_photo
from podcast.services.shows import bump_revision, set_artwork, update_show
from podcast.services.uploads import Upload

SITE = "https://podcast.example.org"
FEED = f"{SITE}/feed.xml"
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "psc": "http://podlove.org/simple-chapters",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.500\n<v Bruce Pannier>Welcome to Majlis.\n"
CHAPTERS = '[{"start": 0, "title": "Intro"}, {"start": 7.25, "title": "Обсуждение"}]'


@pytest.fixture(autouse=True, params=["analytics", "no-analytics"])
def enclosure_mode(request, app) -> str:
    """Every test here holds with enclosures through the counting route and without."""
    set_analytics(app, request.param == "analytics")
    return request.param


def fetch(client) -> bytes:
    """The feed's bytes (asserting a 200)."""
    response = client.get("/feed.xml")
    assert response.status_code == 200
    return response.get_data()


def parse_xml(body: bytes) -> etree._Element:
    """Strict lxml parse: raises on anything that is not well-formed XML."""
    return etree.fromstring(body, etree.XMLParser(recover=False, resolve_entities=False))


def items_by_guid(root: etree._Element) -> dict[str, etree._Element]:
    """The <item> elements keyed by their guid."""
    return {item.findtext("guid"): item for item in root.iter("item")}


def edit(episode: Episode, storage, **raw) -> Episode:
    """Edit an episode through the service (files passed as Attachments via `files`)."""
    files = raw.pop("files", Attachments())
    data = parse_episode_input(raw, partial=True, timezone="UTC")
    return update_episode(db.session, storage, episode, data, files, max_bytes=2**30)


@pytest.fixture
def catalogue(make_episode, make_guest, storage, show):
    """Two published episodes (one with guests, chapters, transcript, art), a draft, a future."""
    guest = make_guest("Dilfuza Kurolova", bio="Journalist.")
    set_photo(db.session, storage, guest, Upload(io.BytesIO(COVER.read_bytes()), "photo.jpg"))
    other = make_guest("Janette Akhilgova")
    now = utcnow()
    older = make_episode(
        "Silence and Impunity",
        publish_at=(now - timedelta(days=7)).isoformat(),
        season="1",
        number="1",
        description="Notes for **one**.",
        summary="The first episode.",
    )
    newer = make_episode(
        "Выборы в Казахстане",
        publish_at=(now - timedelta(days=1)).isoformat(),
        season="1",
        number="2",
        explicit="true",
        guests=f"[{guest.id}, {other.id}]",
        chapters=CHAPTERS,
        description="## Guests\n\nWith [Dilfuza](https://example.org/d).",
    )
    edit(
        newer,
        storage,
        files=Attachments(
            transcript=Upload(io.BytesIO(VTT), "t.vtt"),
            image=Upload(io.BytesIO(COVER.read_bytes()), "art.jpg"),
        ),
    )
    draft = make_episode("A draft", status="draft")
    future = make_episode(
        "Not yet", status="scheduled", publish_at=(now + timedelta(days=2)).isoformat()
    )
    return {"older": older, "newer": newer, "draft": draft, "future": future, "guest": guest}


def test_podcastparser_reads_every_published_episode(client, catalogue, storage):
    parsed = podcastparser.parse(FEED, io.BytesIO(fetch(client)))
    older, newer = catalogue["older"], catalogue["newer"]
    assert [e["guid"] for e in parsed["episodes"]] == [newer.guid, older.guid]
    for entry, episode in zip(parsed["episodes"], (newer, older), strict=True):
        assert entry["title"] == episode.title
        assert entry["link"] == f"https://podcast.example.org/episodes/{episode.slug}"
        enclosure = entry["enclosures"][0]
        assert enclosure["url"] == enclosure_url(client.application, episode.audio.key)
        assert enclosure["file_size"] == storage.stat(episode.audio.key).size
        assert enclosure["mime_type"] == "audio/mpeg"
        assert entry["total_time"] == round(episode.audio.duration_seconds)
        assert entry["published"] == calendar.timegm(episode.publish_at.utctimetuple())
        assert entry["season"] == 1
    assert parsed["episodes"][0]["number"] == 2
    assert parsed["episodes"][0]["explicit"] is True
    assert parsed["episodes"][1]["explicit"] is False
    assert [(c["start"], c["title"]) for c in parsed["episodes"][0]["chapters"]] == [
        (0, "Intro"),
        (7, "Обсуждение"),
    ]
    assert parsed["episodes"][1]["description"] == "The first episode."
    # content:encoded keeps to Apple's tags: the heading is a strong paragraph.
    assert "<p><strong>Guests</strong></p>" in parsed["episodes"][0]["description_html"]
    assert parsed["title"] == "Majlis"
    assert parsed["link"] == "https://www.rferl.org/podcast/majlis"
    assert parsed["itunes_categories"] == [["News", "Politics"]]
    assert parsed["itunes_owner"] == {"name": "RFE/RL Podcasts", "email": "podcasts@example.org"}
    assert parsed["explicit"] is False
    assert parsed["type"] == "episodic"


def test_feedparser_reads_the_same_episodes(client, catalogue):
    parsed = feedparser.parse(fetch(client))
    assert not parsed.bozo, parsed.bozo_exception
    newer, older = catalogue["newer"], catalogue["older"]
    assert [e.id for e in parsed.entries] == [newer.guid, older.guid]
    entry = parsed.entries[0]
    assert entry.guidislink is False
    assert entry.enclosures[0].length == str(newer.audio.size_bytes)
    assert entry.enclosures[0].type == "audio/mpeg"
    assert entry.itunes_duration == str(round(newer.audio.duration_seconds))
    assert calendar.timegm(entry.published_parsed) == int(newer.publish_at.timestamp())
    assert entry.itunes_episode == "2" and entry.itunes_season == "1"
    assert entry.itunes_episodetype == "full"
    assert [(c.start, c.title) for c in entry.psc_chapters.chapters] == [
        ("00:00:00.000", "Intro"),
        ("00:00:07.250", "Обсуждение"),
    ]
    assert parsed.feed.language == "en"


def test_drafts_and_future_episodes_are_absent(client, catalogue):
    guids = set(items_by_guid(parse_xml(fetch(client))))
    assert catalogue["draft"].guid not in guids
    assert catalogue["future"].guid not in guids
    assert {catalogue["older"].guid, catalogue["newer"].guid} == guids


def test_scheduled_episode_appears_once_its_time_has_come(client, catalogue):
    future = catalogue["future"]
    assert future.guid not in items_by_guid(parse_xml(fetch(client)))
    # Time passing: no service write, no revision bump, only the clock moves past publish_at.
    db.session.execute(
        update(Episode)
        .where(Episode.id == future.id)
        .values(publish_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    items = items_by_guid(parse_xml(fetch(client)))
    assert future.guid in items
    assert list(items)[0] == future.guid  # newest first


def test_channel_tags(client, show, storage, catalogue):
    set_artwork(db.session, storage, show, Upload(io.BytesIO(COVER.read_bytes()), "cover.jpg"))
    update_show(db.session, show, {"funding_url": "https://example.org/give", "explicit": "1"})
    root = parse_xml(fetch(client))
    assert root.get("version") == "2.0"
    assert root.nsmap["itunes"] == NS["itunes"]
    assert root.nsmap["podcast"] == NS["podcast"]
    assert root.nsmap["atom"] == NS["atom"]
    channel = root.find("channel")
    assert channel.findtext("link") == "https://www.rferl.org/podcast/majlis"
    assert channel.find("atom:link[@rel='self']", NS).get("href") == FEED
    assert channel.findtext("language") == "en"
    assert channel.findtext("itunes:explicit", namespaces=NS) == "true"
    assert channel.findtext("itunes:author", namespaces=NS) == "RFE/RL"
    assert channel.findtext("itunes:type", namespaces=NS) == "episodic"
    category = channel.find("itunes:category", NS)
    assert category.get("text") == "News"
    assert category.find("itunes:category", NS).get("text") == "Politics"
    artwork = channel.find("itunes:image", NS).get("href")
    assert artwork == f"https://podcast.example.org/media/{show.artwork.key}"
    assert channel.findtext("image/url") == artwork
    expected_guid = str(uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), FEED[8:]))
    assert channel.findtext("podcast:guid", namespaces=NS) == expected_guid == show.podcast_guid
    locked = channel.find("podcast:locked", NS)
    assert (locked.text, locked.get("owner")) == ("yes", "podcasts@example.org")
    funding = channel.find("podcast:funding", NS)
    assert funding.get("url") == "https://example.org/give" and funding.text
    assert channel.findtext("podcast:medium", namespaces=NS) == "podcast"
    hosts = channel.findall("podcast:person", NS)
    assert [(p.text, p.get("role")) for p in hosts] == [("Bruce Pannier", "host")]
    newest = catalogue["newer"].publish_at
    assert parsedate_to_datetime(channel.findtext("lastBuildDate")) >= newest.replace(microsecond=0)


def test_funding_absent_when_not_set(client, catalogue):
    channel = parse_xml(fetch(client)).find("channel")
    assert channel.find("podcast:funding", NS) is None
    assert channel.findtext("itunes:explicit", namespaces=NS) == "false"


def test_item_podcast_namespace_tags(client, catalogue):
    newer, older, guest = catalogue["newer"], catalogue["older"], catalogue["guest"]
    items = items_by_guid(parse_xml(fetch(client)))
    item = items[newer.guid]
    persons = [
        (p.text, p.get("role"), p.get("href"), p.get("img"))
        for p in item.findall("podcast:person", NS)
    ]
    assert persons == [
        ("Bruce Pannier", "host", None, None),
        (
            "Dilfuza Kurolova",
            "guest",
            f"https://podcast.example.org/guests/{guest.slug}",
            f"https://podcast.example.org/media/{guest.photo.key}",
        ),
        (
            "Janette Akhilgova",
            "guest",
            "https://podcast.example.org/guests/janette-akhilgova",
            None,
        ),
    ]
    chapters = item.find("podcast:chapters", NS)
    assert chapters.get("url") == f"https://podcast.example.org/episodes/{newer.slug}/chapters.json"
    assert chapters.get("type") == "application/json+chapters"
    transcripts = item.findall("podcast:transcript", NS)
    assert [(t.get("url"), t.get("type")) for t in transcripts] == [
        (f"https://podcast.example.org/episodes/{newer.slug}/transcript.vtt", "text/vtt")
    ]
    assert item.findtext("podcast:season", namespaces=NS) == "1"
    assert item.findtext("podcast:episode", namespaces=NS) == "2"
    assert item.findtext("itunes:explicit", namespaces=NS) == "true"
    image = item.find("itunes:image", NS).get("href")
    assert image == f"https://podcast.example.org/media/{newer.image.key}"
    assert item.find("content:encoded", NS).text.startswith("<p><strong>Guests</strong></p>")
    plain = items[older.guid]
    assert plain.find("podcast:chapters", NS) is None
    assert plain.find("podcast:transcript", NS) is None
    assert plain.find("psc:chapters", NS) is None
    assert plain.find("itunes:image", NS) is None
    assert [p.text for p in plain.findall("podcast:person", NS)] == ["Bruce Pannier"]
    assert plain.findtext("itunes:explicit", namespaces=NS) == "false"


def test_chapters_from_the_audio_file(client, make_episode):
    from support.data import FIXTURES

    episode = make_episode("Chapters in the file", audio=FIXTURES / "chapters-id3.mp3")
    assert episode.audio.chapters, "the fixture carries ID3 chapters"
    item = items_by_guid(parse_xml(fetch(client)))[episode.guid]
    starts = [c.get("start") for c in item.find("psc:chapters", NS)]
    assert len(starts) == len(episode.audio.chapters)
    assert item.find("podcast:chapters", NS) is not None


def test_forbidden_characters_and_cdata_terminators_keep_the_feed_well_formed(
    client, make_episode, make_guest, show
):
    guest = make_guest("Subhiya Mastonshoeva")
    episode = make_episode(
        "Clean title",
        description="Before ]]> after \x08\x1b end <![CDATA[ x ]]>",  # (PostgreSQL refuses NUL)
        summary="Summary ]]> \x1f here",
        guests=f"[{guest.id}]",
    )
    # Titles and names with control characters can arrive from older data or imports.
    episode.title = "Bad\x01 title ]]>\x0b\ufffe end"
    guest.name = "Subhiya\x02 Mastonshoeva"
    show.title = "Majlis\x07"
    bump_revision(show)
    db.session.commit()
    body = fetch(client)
    root = parse_xml(body)
    item = items_by_guid(root)[episode.guid]
    assert item.findtext("title") == "Bad title ]]> end"
    assert "]]>" not in item.find("content:encoded", NS).text
    assert "after" in item.find("content:encoded", NS).text
    assert item.findtext("itunes:summary", namespaces=NS) == "Summary ]]> here"
    assert item.findtext("description") == "<p>Summary ]]&gt; here</p>"
    assert root.find("channel").findtext("title") == "Majlis"
    names = [p.text for p in item.findall("podcast:person", NS)]
    assert "Subhiya Mastonshoeva" in names
    parsed = podcastparser.parse(FEED, io.BytesIO(body))
    assert parsed["episodes"][0]["title"] == "Bad title ]]> end"
    assert not feedparser.parse(body).bozo


def test_same_content_gives_the_same_bytes(client, catalogue, app):
    first = fetch(client)
    app.extensions["podcast.feed.cache"].clear()
    assert fetch(client) == first


def test_guid_survives_title_slug_and_audio_changes(client, catalogue, storage):
    from support.data import FIXTURES

    older = catalogue["older"]
    guid = older.guid
    edit(
        older,
        storage,
        title="A new title",
        files=Attachments(
            audio=Upload(io.BytesIO((FIXTURES / "cbr-128k-stereo.mp3").read_bytes()), "n.mp3")
        ),
    )
    item = items_by_guid(parse_xml(fetch(client)))[guid]
    assert item.findtext("title") == "A new title"
    assert item.find("enclosure").get("length") == str(older.audio.size_bytes)


def test_after_an_edit_the_feed_equals_a_fresh_render(client, catalogue, app, storage):
    fetch(client)
    edit(catalogue["older"], storage, title="Silence, Revisited", description="New *notes*.")
    warm = fetch(client)  # re-renders only what changed
    assert b"Silence, Revisited" in warm and b"<em>notes</em>" in warm
    app.extensions["podcast.feed.cache"].clear()
    assert fetch(client) == warm
