"""The feed this service publishes, served over HTTP and read back by the import's reader."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from support.data import COVER
from support.feed_server import FeedServer

from podcast.extensions import db
from podcast.imports.reader import read_source
from podcast.imports.source import SourceChapter, SourceShow
from podcast.models import Episode, utcnow
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, update_episode
from podcast.services.guests import set_photo
from podcast.services.shows import update_show
from podcast.services.uploads import Upload

SITE = "https://podcast.example.org"
VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nWelcome to Majlis.\n"
CHAPTERS = '[{"start": 0, "title": "Intro"}, {"start": 7.25, "title": "Обсуждение"}]'


@pytest.fixture
def published(client, make_episode, make_guest, storage, show) -> dict[str, Episode]:
    """Two published episodes, one with guests, chapters, a transcript and artwork."""
    update_show(db.session, show, {"funding_url": "https://example.org/give"})
    guest = make_guest("Dilfuza Kurolova", bio="Journalist.")
    set_photo(db.session, storage, guest, Upload(io.BytesIO(COVER.read_bytes()), "photo.jpg"))
    now = utcnow()
    older = make_episode(
        "Silence and Impunity",
        publish_at=(now - timedelta(days=7)).isoformat(),
        season="1",
        number="1",
        summary="The first episode.",
    )
    newer = make_episode(
        "Выборы в Казахстане",
        publish_at=(now - timedelta(days=1)).isoformat(),
        season="1",
        number="2",
        explicit="true",
        guests=f"[{guest.id}]",
        chapters=CHAPTERS,
        description="## Guests\n\nWith [Dilfuza](https://example.org/d).",
    )
    data = parse_episode_input({}, partial=True, timezone="UTC")
    files = Attachments(transcript=Upload(io.BytesIO(VTT), "t.vtt"))
    update_episode(db.session, storage, newer, data, files, max_bytes=2**30)
    return {"older": older, "newer": newer}


def read_own_feed(client, feed_server: FeedServer) -> SourceShow:
    response = client.get("/feed.xml")
    assert response.status_code == 200
    url = feed_server.add("/feed.xml", response.get_data())
    return read_source(url, allow_private=True)


def test_our_own_feed_reads_back_whole(client, feed_server, published, show) -> None:
    source = read_own_feed(client, feed_server)
    older, newer = published["older"], published["newer"]
    assert source.problems == []
    assert (source.title, source.language, source.podcast_guid) == (
        show.title,
        "en",
        show.podcast_guid,
    )
    assert source.locked is True and source.locked_owner_email == "podcasts@example.org"
    assert source.categories == [["News", "Politics"]]
    assert [f.url for f in source.funding] == ["https://example.org/give"]
    assert [(p.name, p.role) for p in source.persons] == [("Bruce Pannier", "host")]
    assert [e.guid for e in source.episodes] == [newer.guid, older.guid]
    first, second = source.episodes
    assert first.guid_is_enclosure_url is False
    assert first.title == "Выборы в Казахстане"
    assert first.published_at == newer.publish_at.replace(
        microsecond=0, tzinfo=first.published_at.tzinfo
    )
    assert (first.season, first.number, first.explicit) == (1, 2, True)
    assert first.enclosure is not None
    assert first.enclosure.url == f"{SITE}/d/{newer.audio.key}"  # the counting route
    assert first.enclosure.mime_type == "audio/mpeg"
    assert first.duration_seconds == pytest.approx(newer.audio.duration_seconds, abs=1)
    assert first.chapters_url == f"{SITE}/episodes/{newer.slug}/chapters.json"
    assert first.chapters == [SourceChapter(0.0, "Intro"), SourceChapter(7.25, "Обсуждение")]
    assert [(t.url, t.mime_type) for t in first.transcripts] == [
        (f"{SITE}/episodes/{newer.slug}/transcript.vtt", "text/vtt")
    ]
    assert [(p.name, p.role) for p in first.persons] == [
        ("Bruce Pannier", "host"),
        ("Dilfuza Kurolova", "guest"),
    ]
    assert "<strong>Guests</strong>" in first.description_html
    assert second.summary == "The first episode." and second.explicit is False
