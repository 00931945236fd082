"""The feed in pieces: a show setting for how many episodes the main feed carries, the rest on
RFC 5005 pages that apps reading paging follow to the end; and the item-by-item rebuild, which
must give the very bytes of a cold render after any sequence of edits."""

from __future__ import annotations

import gzip
import io
import random
from datetime import timedelta
from typing import Any

import feedparser
import lxml.etree
import podcastparser
import pytest

from podcast import current
from podcast.errors import ValidationError
from podcast.extensions import db
from podcast.feed import cache
from podcast.models import Episode, utcnow
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import delete_episode, update_episode
from podcast.services.guests import parse_guest_input, save_guest
from podcast.services.shows import parse_show_input, update_show
from podcast.views.urls import FeedUrls

ATOM = "{http://www.w3.org/2005/Atom}link"
FEED = "https://podcast.example.org/feed.xml"


@pytest.fixture
def episodes(show, make_episode) -> list[Episode]:
    """23 published episodes, a day apart, newest last."""
    start = utcnow() - timedelta(days=30)
    made = [
        make_episode(f"Episode {n}", publish_at=(start + timedelta(days=n)).isoformat())
        for n in range(1, 24)
    ]
    return made


def _links(body: bytes) -> dict[str, str]:
    channel = lxml.etree.fromstring(body).find("channel")
    return {link.get("rel"): link.get("href") for link in channel.iter(ATOM)}


def _titles(body: bytes) -> list[str]:
    return [t.text for t in lxml.etree.fromstring(body).iterfind("channel/item/title")]


def _relative(url: str) -> str:
    return url.removeprefix("https://podcast.example.org")


def test_without_a_page_size_the_feed_carries_every_episode_and_no_paging(client, episodes):
    body = client.get("/feed.xml").data
    assert len(_titles(body)) == 23
    assert set(_links(body)) == {"self"}
    assert client.get("/feed.xml?page=2").status_code == 404


def test_pages_hold_every_episode_once_newest_first_with_their_links(client, show, episodes):
    update_show(db.session, show, {"feed_page_size": "10"})
    main = client.get("/feed.xml")
    assert main.status_code == 200
    assert _titles(main.data) == [f"Episode {n}" for n in range(23, 13, -1)]
    assert _links(main.data) == {
        "self": FEED, "first": FEED, "next": f"{FEED}?page=2", "last": f"{FEED}?page=3",
    }  # fmt: skip
    second = client.get("/feed.xml?page=2")
    assert _links(second.data) == {
        "self": f"{FEED}?page=2", "first": FEED, "previous": FEED, "next": f"{FEED}?page=3",
        "last": f"{FEED}?page=3",
    }  # fmt: skip
    third = client.get("/feed.xml?page=3")
    assert _titles(third.data) == ["Episode 3", "Episode 2", "Episode 1"]
    assert "next" not in _links(third.data)
    every = _titles(main.data) + _titles(second.data) + _titles(third.data)
    assert sorted(every) == sorted(f"Episode {n}" for n in range(1, 24))
    assert client.get("/feed.xml?page=4").status_code == 404


def test_podcastparser_follows_the_pages_to_every_episode(client, show, episodes):
    update_show(db.session, show, {"feed_page_size": "10"})
    guids, url, pages = [], "/feed.xml", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        parsed = podcastparser.parse(FEED, io.BytesIO(response.data))
        guids += [episode["guid"] for episode in parsed["episodes"]]
        url = _relative(parsed.get("paged_feed_next") or "")
        pages += 1
    assert pages == 3
    assert sorted(guids) == sorted(e.guid for e in episodes)


def test_feedparser_reads_a_page_as_a_valid_feed_with_its_links(client, show, episodes):
    update_show(db.session, show, {"feed_page_size": "10"})
    parsed = feedparser.parse(client.get("/feed.xml?page=2").data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    rels = {link["rel"]: link["href"] for link in parsed.feed.links}
    assert rels["next"] == f"{FEED}?page=3" and rels["first"] == FEED
    assert len(parsed.entries) == 10


def test_a_page_answers_304_to_its_own_etag_and_changes_with_a_new_episode(
    client, show, episodes, make_episode
):
    update_show(db.session, show, {"feed_page_size": "10"})
    first = client.get("/feed.xml?page=2")
    again = client.get("/feed.xml?page=2", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    make_episode("Episode 24")
    moved = client.get("/feed.xml?page=2", headers={"If-None-Match": first.headers["ETag"]})
    assert moved.status_code == 200
    assert _titles(moved.data)[0] == "Episode 14"  # one episode pushed onto this page


@pytest.mark.parametrize("page", ["0", "abc", "-1", "2.5", "9999999"])
def test_a_page_that_is_no_number_is_a_bad_request(client, show, episodes, page):
    assert client.get(f"/feed.xml?page={page}").status_code == 400


def test_page_1_is_the_feed_itself(client, show, episodes):
    update_show(db.session, show, {"feed_page_size": "10"})
    response = client.get("/feed.xml?page=1")
    assert response.status_code == 301
    assert response.location.endswith("/feed.xml")


def test_another_shows_pages_live_under_its_own_feed(client, show, second_show, make_episode):
    for n in range(12):
        make_episode(f"Выпуск {n}", in_show=second_show)
    update_show(db.session, second_show, {"feed_page_size": "10"})
    main = client.get("/shows/azattyk/feed.xml")
    assert _links(main.data)["next"].endswith("/shows/azattyk/feed.xml?page=2")
    second = client.get("/shows/azattyk/feed.xml?page=2")
    assert len(_titles(second.data)) == 2
    assert client.get("/shows/majlis/feed.xml?page=2").location.endswith("/feed.xml?page=2")


@pytest.mark.parametrize("size", ["9", "10001", "ten", "1e3"])
def test_a_page_size_out_of_range_is_refused_with_its_bounds(app, show, size):
    with pytest.raises(ValidationError) as refused:
        parse_show_input({"feed_page_size": size})
    sentence = str(refused.value.fields["feed_page_size"])
    assert "10" in sentence and "10,000" in sentence


def test_the_admin_sets_the_page_size_and_the_api_reports_it(
    client, show, episodes, login, no_csrf, api_token
):
    login("admin")
    page = client.get("/admin/show")
    assert b'name="feed_page_size"' in page.data
    headers = api_token("admin")
    answer = client.patch("/api/v1/show", json={"feed_page_size": 10}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["feed_page_size"] == 10
    assert len(_titles(client.get("/feed.xml").data)) == 10
    refused = client.patch("/api/v1/show", json={"feed_page_size": 3}, headers=headers)
    assert refused.status_code == 422
    cleared = client.patch("/api/v1/show", json={"feed_page_size": None}, headers=headers)
    assert cleared.get_json()["feed_page_size"] is None
    assert len(_titles(client.get("/feed.xml").data)) == 23


def _cold(app: Any) -> cache.RenderedFeed:
    """The primary feed rendered by a new cache: no fragment from any earlier render."""
    with app.test_request_context("/feed.xml"):
        found = cache.current_feed(cache.FeedCache(), db.session, lambda: FeedUrls(None), utcnow())
        assert found is not None and found[0] is not None
        return found[0]


def _edit(episode: Episode, storage: Any, **raw: Any) -> None:
    data = parse_episode_input(raw, partial=True, timezone="UTC")
    update_episode(db.session, storage, episode, data, max_bytes=2**30)


ACTIONS = ["title", "notes", "draft", "publish", "delete", "new", "size", "guests", "rename"]


def test_the_rebuild_after_random_edits_gives_the_bytes_of_a_cold_render(
    app, client, show, episodes, storage, make_episode, make_guest
):
    chance = random.Random(5005)
    live = list(episodes)
    guests = [make_guest(name) for name in ("Janette Akhilgova", "Дильфуза", "Subhiya")]
    renders = current.feed_cache(app).renders
    for step in range(40):
        action = chance.choice(ACTIONS)
        episode = chance.choice(live)
        if action == "title":
            _edit(episode, storage, title=f"Step {step}: Ёлка «{chance.random():.3f}»")
        elif action == "notes":
            _edit(
                episode, storage, description=f"**Step {step}** and [a link](https://x.org/{step})"
            )
        elif action == "draft":
            _edit(episode, storage, status="draft")
        elif action == "publish":
            _edit(episode, storage, status="published")
        elif action == "delete" and len(live) > 12:
            delete_episode(db.session, storage, episode)
            live.remove(episode)
        elif action == "new":
            live.append(make_episode(f"New at step {step}"))
        elif action == "guests":
            chosen = chance.sample(guests, chance.randint(0, 3))
            _edit(episode, storage, guests=[guest.id for guest in chosen])
        elif action == "rename":  # reaches every item the guest is on, none of their rows
            guest = chance.choice(guests)
            renamed = parse_guest_input({"name": f"{guest.name[:8]} {step}"}, current=guest)
            save_guest(db.session, None, guest, renamed)
        else:
            update_show(db.session, show, {"feed_page_size": chance.choice(["", "10", "12"])})
        warm = client.get("/feed.xml", headers={"Accept-Encoding": "gzip"})
        cold = _cold(app)
        assert warm.data == cold.gzipped, f"step {step}: {action}"
        assert gzip.decompress(warm.data) == cold.body
        assert warm.headers["ETag"] == cold.gzip_etag
    assert current.feed_cache(app).renders > renders
