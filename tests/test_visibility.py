"""Drafts and scheduled episodes are invisible to the public everywhere, until their time comes.

Three episodes, each with a guest only on it, chapters and a transcript uploaded through the
service: a draft, a scheduled one (a month ahead) and a published one. Every public surface is
read as a listener (and as a logged-in producer: public pages are cached as public, so they must
not depend on who asks). Then the clock reaches the scheduled episode's time: it must appear
everywhere with no write through the service, no cron job, and the warm feed cache noticing.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import lxml.html
import pytest
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import update
from support.data import SAMPLE_MP3

from podcast.extensions import db
from podcast.models import Episode, EpisodeStatus, utcnow
from podcast.services.episode_input import EpisodeInput, parse_episode_input
from podcast.services.episodes import Attachments, create_episode, update_episode
from podcast.services.guests import create_guest, parse_guest_input
from podcast.services.uploads import Upload

CHAPTERS = [{"start": 0, "title": "Opening"}, {"start": 5, "title": "Interview"}]


def _vtt(word: str) -> bytes:
    return (
        "WEBVTT\n\n"
        f"00:00:00.000 --> 00:00:04.000\n<v Host>Welcome, {word} listeners.\n\n"
        f"00:00:04.000 --> 00:00:08.000\n<v Guest>Thank you, the {word} story goes on.\n"
    ).encode()


def _srt(word: str) -> bytes:
    return (
        f"1\n00:00:00,000 --> 00:00:04,000\nHello from the {word} studio.\n\n"
        f"2\n00:00:04,000 --> 00:00:08,000\nМы говорим о {word}.\n"
    ).encode()


@dataclass
class Item:
    """One episode of the world and the words only it uses."""

    word: str
    id: int
    slug: str
    guid: str
    title: str
    guest_slug: str
    guest_name: str
    audio_key: str

    def markers(self) -> list[str]:
        """Strings that appear nowhere public unless this episode (or its guest) is public."""
        return [self.word, self.slug, self.guid, self.guest_slug, self.guest_name, self.audio_key]


@dataclass
class World:
    """The draft, the scheduled and the published episode."""

    draft: Item
    scheduled: Item
    published: Item


def _make(show: Any, storage: Any, word: str, guest_name: str, transcript: Upload, **raw: Any):
    guest = create_guest(db.session, parse_guest_input({"name": guest_name, "bio": f"{word} bio"}))
    fields = {
        "title": f"The {word} episode",
        "summary": f"All about {word}.",
        "description": f"Show notes on **{word}**.",
        "guests": json.dumps([guest.id]),
        "chapters": json.dumps(CHAPTERS),
        **raw,
    }
    data = parse_episode_input(fields, partial=False, timezone=show.timezone)
    files = Attachments(
        audio=Upload(io.BytesIO(SAMPLE_MP3.read_bytes()), SAMPLE_MP3.name), transcript=transcript
    )
    episode = create_episode(db.session, storage, show, data, files, max_bytes=2**30)
    assert episode.transcript is not None and episode.effective_chapters
    return Item(
        word=word,
        id=episode.id,
        slug=episode.slug,
        guid=episode.guid,
        title=episode.title,
        guest_slug=guest.slug,
        guest_name=guest.name,
        audio_key=episode.audio.key,
    )


@pytest.fixture
def world(show: Any, storage: Any) -> World:
    """A draft (dated between the others, to tempt the neighbour links), scheduled, published."""
    now = utcnow()
    published = _make(
        show,
        storage,
        "marigold",
        "Aigerim Publishedova",
        Upload(io.BytesIO(_vtt("marigold")), "published.vtt"),
        status="published",
        publish_at=(now - timedelta(days=2)).isoformat(),
    )
    draft = _make(
        show,
        storage,
        "zebrafinch",
        "Зарина Черновикова",
        Upload(io.BytesIO(_srt("zebrafinch")), "draft.srt"),
        status="draft",
        publish_at=(now - timedelta(days=1)).isoformat(),
    )
    scheduled = _make(
        show,
        storage,
        "xylophonist",
        "Timur Scheduledov",
        Upload(io.BytesIO(_vtt("xylophonist")), "scheduled.vtt"),
        status="scheduled",
        publish_at=(now + timedelta(days=30)).isoformat(),
    )
    return World(draft=draft, scheduled=scheduled, published=published)


def _text(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def _public_pages(world: World) -> list[str]:
    """Every public page that lists or links episodes, plus the published episode's files."""
    p = world.published
    return [
        "/",
        f"/?q={p.word}",
        f"/shows/majlis/episodes/{p.slug}",
        f"/episodes/{p.slug}/chapters.json",
        f"/episodes/{p.slug}/transcript.vtt",
        f"/guests/{p.guest_slug}",
        "/feed.xml",
        "/sitemap.xml",
        "/robots.txt",
    ]


def _hidden_urls(item: Item) -> list[str]:
    return [
        f"/shows/majlis/episodes/{item.slug}",
        f"/episodes/{item.slug}/chapters.json",
        f"/episodes/{item.slug}/transcript.vtt",
        f"/?q={item.word}",
        f"/guests/{item.guest_slug}",
    ]


def _assert_invisible(client: FlaskClient, world: World, item: Item) -> None:
    """`item` shows up nowhere a listener can look, and its own addresses are 404."""
    for url in _public_pages(world):
        body = _text(client, url).lower()
        for marker in item.markers():
            assert marker.lower() not in body, f"{marker!r} of a hidden episode is on {url}"
    for url in (
        f"/shows/majlis/episodes/{item.slug}",
        f"/episodes/{item.slug}/chapters.json",
        f"/episodes/{item.slug}/transcript.vtt",
        f"/guests/{item.guest_slug}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert item.word not in response.get_data(as_text=True), url
        assert client.head(url).status_code == 404, url
    # The search for its own word finds nothing (the list shows no episode card at all).
    search = lxml.html.fromstring(_text(client, f"/?q={item.word}"))
    linked = {a.get("href") for a in search.iter("a")}
    assert f"/shows/majlis/episodes/{item.slug}" not in linked
    assert not any(h and h.startswith("/shows/majlis/episodes/") for h in linked)
    by_guest = lxml.html.fromstring(_text(client, f"/?q={item.guest_name.split()[-1]}"))
    hrefs = [a.get("href") or "" for a in by_guest.iter("a")]
    assert not any(h.startswith("/shows/majlis/episodes/") for h in hrefs)


def _neighbour_links(client: FlaskClient, slug: str) -> dict[str, str]:
    page = lxml.html.fromstring(_text(client, f"/shows/majlis/episodes/{slug}"))
    return {a.get("rel"): a.get("href") for a in page.iter("a") if a.get("rel") in {"prev", "next"}}


def _feed_entries(client: FlaskClient) -> dict[str, str]:
    response = client.get("/feed.xml")
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    return {item.findtext("guid"): item.findtext("title") for item in root.iter("item")}


def _sitemap(client: FlaskClient) -> set[str]:
    root = etree.fromstring(client.get("/sitemap.xml").data)
    return {el.text for el in root.iter("{*}loc")}


def _assert_visible(client: FlaskClient, item: Item) -> None:
    """`item` is on the list, in search, the feed, the sitemap; its pages and files answer."""
    home = lxml.html.fromstring(_text(client, "/"))
    assert f"/shows/majlis/episodes/{item.slug}" in {a.get("href") for a in home.iter("a")}
    assert item.title in _text(client, f"/?q={item.word}")
    page = _text(client, f"/shows/majlis/episodes/{item.slug}")
    assert item.title in page and item.guest_name in page and "story goes on" in page
    chapters = json.loads(client.get(f"/episodes/{item.slug}/chapters.json").data)
    assert [c["title"] for c in chapters["chapters"]] == ["Opening", "Interview"]
    assert (
        client.get(f"/shows/majlis/episodes/{item.slug}/chapters.json").data
        == client.get(f"/episodes/{item.slug}/chapters.json").data
    )  # the show's own URL and the one its feed has always carried
    assert item.word in _text(client, f"/episodes/{item.slug}/transcript.vtt")
    assert item.title in _text(client, f"/guests/{item.guest_slug}")
    assert _feed_entries(client).get(item.guid) == item.title
    assert f"https://podcast.example.org/shows/majlis/episodes/{item.slug}" in _sitemap(client)
    assert f"https://podcast.example.org/guests/{item.guest_slug}" in _sitemap(client)


def test_published_episode_is_visible_everywhere(client, world) -> None:
    # The control: the same checks that prove the others hidden can see this one.
    _assert_visible(client, world.published)


@pytest.mark.parametrize("which", ["draft", "scheduled"])
def test_hidden_episode_is_invisible_everywhere(client, world, which) -> None:
    _assert_invisible(client, world, getattr(world, which))


@pytest.mark.parametrize("which", ["draft", "scheduled"])
def test_logged_in_producers_see_the_same_public_site(client, login, world, which) -> None:
    # Public pages are sent with Cache-Control: public; a draft shown to a logged-in producer
    # could be cached by a proxy and served to everyone.
    login("admin")
    assert client.get("/admin/").status_code == 200
    _assert_invisible(client, world, getattr(world, which))


def test_neighbour_links_skip_hidden_episodes(client, world) -> None:
    # The draft is dated after the published episode: a neighbour query without the
    # visibility rule would link it as "next".
    assert _neighbour_links(client, world.published.slug) == {}


def test_feed_has_only_the_published_episode(client, world) -> None:
    assert _feed_entries(client) == {world.published.guid: world.published.title}


@pytest.mark.parametrize(
    "path",
    [
        "/media/",
        "/media/episodes",
        "/media/episodes/",
        "/media/episodes/{guid}",
        "/media/episodes/{guid}/",
    ],
)
@pytest.mark.parametrize("which", ["draft", "scheduled", "published"])
def test_media_directories_are_never_listed(client, world, which, path) -> None:
    item = getattr(world, which)
    response = client.get(path.format(guid=item.guid))
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert item.audio_key.rsplit("/", 1)[1] not in body
    assert "transcript-" not in body


def test_the_api_sees_drafts_and_scheduled_episodes(client, world, api_token) -> None:
    headers = api_token("producer")
    listed = client.get("/api/v1/episodes", headers=headers)
    assert listed.status_code == 200
    by_id = {item["id"]: item for item in listed.get_json()["items"]}
    assert by_id[world.draft.id]["status"] == "draft"
    assert by_id[world.scheduled.id]["status"] == "scheduled"
    assert world.published.id in by_id
    for item in (world.draft, world.scheduled):
        one = client.get(f"/api/v1/episodes/{item.id}", headers=headers)
        assert one.status_code == 200
        assert one.get_json()["guid"] == item.guid
        assert client.get(f"/api/v1/episodes/{item.id}").status_code == 401


def _reach_the_scheduled_time(item: Item) -> None:
    """The clock reaches publish_at: the row's publish_at becomes now, nothing else changes.

    Every visibility rule compares publish_at with the clock, so this is the same moment as
    waiting a month. No service write (no revision bump), status stays "scheduled": as when
    time really passes. publish_at is set to now, not earlier, so it stays after every write
    the setup made, as a real release would be.
    """
    db.session.execute(update(Episode).where(Episode.id == item.id).values(publish_at=utcnow()))
    db.session.commit()
    db.session.expire_all()


def test_scheduled_episode_appears_everywhere_at_its_time(client, world) -> None:
    s, p = world.scheduled, world.published
    before = client.get("/feed.xml")
    assert s.guid not in before.get_data(as_text=True)  # the feed cache is warm now
    _assert_invisible(client, world, s)

    _reach_the_scheduled_time(s)

    _assert_visible(client, s)
    assert _neighbour_links(client, p.slug) == {"next": f"/shows/majlis/episodes/{s.slug}"}
    assert _neighbour_links(client, s.slug) == {"prev": f"/shows/majlis/episodes/{p.slug}"}
    # A podcast app revalidating its copy gets the new feed, not a 304.
    again = client.get("/feed.xml", headers={"If-None-Match": before.headers["ETag"]})
    assert again.status_code == 200
    assert s.guid in again.get_data(as_text=True)
    assert list(_feed_entries(client)) == [s.guid, p.guid]  # newest first
    # The draft is still hidden, on every page the scheduled one now appears on too.
    _assert_invisible(client, world, world.draft)


def test_unpublished_episode_leaves_every_public_surface(client, world, storage) -> None:
    # Back to draft after listeners saw it: the warm feed and every page must drop it.
    p = world.published
    assert p.guid in client.get("/feed.xml").get_data(as_text=True)
    episode = db.session.get(Episode, p.id)
    update_episode(
        db.session, storage, episode, EpisodeInput(status=EpisodeStatus.DRAFT), max_bytes=2**30
    )
    for url in (
        f"/shows/majlis/episodes/{p.slug}",
        f"/guests/{p.guest_slug}",
        f"/episodes/{p.slug}/chapters.json",
    ):
        assert client.get(url).status_code == 404, url
    for url in ("/", "/feed.xml", "/sitemap.xml"):
        body = _text(client, url)
        assert p.guid not in body and p.slug not in body and p.title not in body, url
