"""Several shows on one service, as listeners and podcast apps see them: each show's pages and
feed under /shows/<handle>/, the primary show's old addresses kept, caches that never mix."""

from __future__ import annotations

import json
from typing import Any

import feedparser
import lxml.etree
import lxml.html
import podcastparser
import pytest
from flask.testing import FlaskClient

from podcast.extensions import db
from podcast.models import Show, utcnow
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import update_episode
from podcast.services.shows import update_show

SITE = "https://podcast.example.org"
ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response


def _links(client: FlaskClient, url: str) -> set[str]:
    doc = lxml.html.fromstring(client.get(url).get_data(as_text=True))
    return {a.get("href") for a in doc.iter("a")}


def test_each_show_has_its_own_feed_with_its_own_addresses(
    client: FlaskClient, show: Show, second_show: Show, make_episode: Any
) -> None:
    make_episode("Majlis weekly", chapters=json.dumps([{"start": 0, "title": "Opening"}]))
    make_episode(
        "Выборы в Кыргызстане",
        in_show=second_show,
        chapters=json.dumps([{"start": 0, "title": "Начало"}]),
    )
    primary = _feed(client, "/feed.xml").data
    second = _feed(client, "/shows/azattyk/feed.xml").data

    parsed = podcastparser.parse(f"{SITE}/shows/azattyk/feed.xml", __import__("io").BytesIO(second))
    assert parsed["title"] == "Азаттык: подкаст"
    assert [e["title"] for e in parsed["episodes"]] == ["Выборы в Кыргызстане"]
    assert parsed["episodes"][0]["link"] == f"{SITE}/shows/azattyk/episodes/vybory-v-kyrgyzstane"
    assert [e["title"] for e in feedparser.parse(primary).entries] == ["Majlis weekly"]

    root = lxml.etree.fromstring(second)
    assert root.find(f"channel/{ATOM}link[@rel='self']").get("href") == (
        f"{SITE}/shows/azattyk/feed.xml"
    )
    assert root.findtext("channel/language") == "ru"
    assert root.findtext("channel/{https://podcastindex.org/namespace/1.0}guid") == (
        second_show.podcast_guid
    )
    assert second_show.podcast_guid != show.podcast_guid
    chapters_url = root.find(".//{https://podcastindex.org/namespace/1.0}chapters").get("url")
    assert chapters_url == f"{SITE}/shows/azattyk/episodes/vybory-v-kyrgyzstane/chapters.json"
    chapters = json.loads(client.get(chapters_url.removeprefix(SITE)).data)
    assert chapters["chapters"][0]["title"] == "Начало"
    # The primary show keeps the addresses its subscribers' apps already hold.
    primary_root = lxml.etree.fromstring(primary)
    assert primary_root.find(f"channel/{ATOM}link[@rel='self']").get("href") == f"{SITE}/feed.xml"
    assert primary_root.findtext("channel/item/link") == f"{SITE}/episodes/majlis-weekly"


def test_a_show_added_to_the_network_leaves_the_primary_feed_byte_identical(
    client: FlaskClient, show: Show, make_episode: Any, app: Any
) -> None:
    make_episode("Majlis weekly")
    before = _feed(client, "/feed.xml")
    from support.data import SHOW_SETTINGS

    from podcast.services.shows import parse_show_input, save_show

    other = save_show(
        db.session, None, None,
        parse_show_input({**SHOW_SETTINGS, "handle": "azattyk", "title": "Азаттык"}),
        feed_url=f"{SITE}/shows/azattyk/feed.xml",
    )  # fmt: skip
    make_episode("Majlis weekly", in_show=other)  # the same title, in another show
    after = _feed(client, "/feed.xml")
    assert after.data == before.data
    assert after.headers["ETag"] == before.headers["ETag"]


def test_an_edit_in_one_show_never_changes_another_shows_feed(
    client: FlaskClient, show: Show, second_show: Show, make_episode: Any, storage: Any
) -> None:
    mine = make_episode("Majlis weekly")
    theirs = make_episode("Новости недели", in_show=second_show)
    primary, second = _feed(client, "/feed.xml"), _feed(client, "/shows/azattyk/feed.xml")

    change = parse_episode_input({"title": "Новости месяца"}, partial=True, timezone="UTC")
    update_episode(db.session, storage, theirs, change, max_bytes=2**30)
    assert _feed(client, "/feed.xml").data == primary.data
    changed = _feed(client, "/shows/azattyk/feed.xml")
    assert changed.headers["ETag"] != second.headers["ETag"]
    assert "Новости месяца" in changed.get_data(as_text=True)
    # A poll with the old ETag: 304 for the untouched show, the new feed for the edited one.
    assert (
        client.get("/feed.xml", headers={"If-None-Match": primary.headers["ETag"]}).status_code
        == 304
    )
    stale = client.get("/shows/azattyk/feed.xml", headers={"If-None-Match": second.headers["ETag"]})
    assert stale.status_code == 200

    update_show(db.session, show, {"subtitle": "Weekly"})
    assert _feed(client, "/shows/azattyk/feed.xml").data == changed.data
    assert mine.slug == "majlis-weekly"


def test_the_same_title_in_two_shows_gets_the_same_slug_in_each(
    client: FlaskClient, show: Show, second_show: Show, make_episode: Any
) -> None:
    one = make_episode("Central Asia this week")
    two = make_episode("Central Asia this week", in_show=second_show)
    three = make_episode("Central Asia this week", in_show=second_show)
    assert (one.slug, two.slug, three.slug) == (
        "central-asia-this-week", "central-asia-this-week", "central-asia-this-week-2",
    )  # fmt: skip
    assert one.guid != two.guid
    mine = client.get("/shows/majlis/episodes/central-asia-this-week").get_data(as_text=True)
    theirs = client.get("/shows/azattyk/episodes/central-asia-this-week").get_data(as_text=True)
    assert "Majlis" in mine and "Азаттык" in theirs


def test_old_episode_addresses_move_for_good_to_the_primary_shows_pages(
    client: FlaskClient, show: Show, make_episode: Any
) -> None:
    episode = make_episode("Majlis weekly")
    moved = client.get(f"/episodes/{episode.slug}")
    assert moved.status_code == 301
    assert moved.location == f"/shows/majlis/episodes/{episode.slug}"
    assert client.get(moved.location).status_code == 200
    # Its files stay where the feed points, and answer the same under the show.
    assert client.get(f"/episodes/{episode.slug}/chapters.json").status_code in (200, 404)


def test_the_primary_shows_feed_has_one_address(client: FlaskClient, show: Show) -> None:
    moved = client.get("/shows/majlis/feed.xml")
    assert moved.status_code == 301 and moved.location == "/feed.xml"


def test_unknown_shows_and_episodes_of_another_show_are_not_found(
    client: FlaskClient, show: Show, second_show: Show, make_episode: Any
) -> None:
    episode = make_episode("Only on Majlis")
    for url in (
        "/shows/nope/",
        "/shows/nope/feed.xml",
        f"/shows/azattyk/episodes/{episode.slug}",
        f"/shows/azattyk/episodes/{episode.slug}/transcript.vtt",
    ):
        assert client.get(url).status_code == 404, url


def test_the_home_page_lists_every_show_with_its_newest_episode(
    client: FlaskClient, show: Show, second_show: Show, make_episode: Any
) -> None:
    make_episode("Majlis weekly")
    make_episode("Новости недели", in_show=second_show)
    links = _links(client, "/")
    assert {"/shows/majlis/", "/shows/azattyk/"} <= links
    assert {
        "/shows/majlis/episodes/majlis-weekly",
        "/shows/azattyk/episodes/novosti-nedeli",
    } <= links
    assert {"/feed.xml", "/shows/azattyk/feed.xml"} <= links
    found = lxml.html.fromstring(client.get("/?q=новости").get_data(as_text=True))
    assert [a.text for a in found.xpath("//section[@id='episodes']//h3/a")] == ["Новости недели"]
    home = lxml.html.fromstring(client.get("/shows/azattyk/").get_data(as_text=True))
    assert home.get("lang") == "ru"
    assert [a.text for a in home.xpath("//main//h3/a")] == ["Новости недели"]
    assert home.xpath("//input[@id='feed-url']/@value") == [f"{SITE}/shows/azattyk/feed.xml"]


def test_the_home_page_shows_each_shows_newest_public_episode_not_a_draft_or_a_future_one(
    client: FlaskClient, show: Show, second_show: Show, make_episode: Any
) -> None:
    from datetime import timedelta

    soon = (utcnow() + timedelta(days=2)).isoformat()
    make_episode("Older week", publish_at=(utcnow() - timedelta(days=14)).isoformat())
    make_episode("This week", publish_at=(utcnow() - timedelta(days=7)).isoformat())
    make_episode("Not out yet", status="scheduled", publish_at=soon)
    make_episode("Still a draft", status="draft")
    make_episode("Черновик", in_show=second_show, status="draft")
    links = _links(client, "/")
    assert "/shows/majlis/episodes/this-week" in links
    assert not {"/shows/majlis/episodes/older-week", "/shows/majlis/episodes/not-out-yet",
                "/shows/majlis/episodes/still-a-draft"} & links  # fmt: skip
    assert not any(link.startswith("/shows/azattyk/episodes/") for link in links)
    assert "/shows/azattyk/" in links  # a show with nothing public is still listed


def test_with_one_show_the_home_page_is_that_show(
    client: FlaskClient, show: Show, make_episode: Any
) -> None:
    make_episode("Majlis weekly")
    home = lxml.html.fromstring(client.get("/").get_data(as_text=True))
    assert home.xpath("//h1/text()") == ["Majlis"]
    assert "/shows/majlis/episodes/majlis-weekly" in {a.get("href") for a in home.iter("a")}


def test_a_guest_page_lists_their_episodes_on_every_show(
    client: FlaskClient, show: Show, second_show: Show, make_episode: Any, make_guest: Any
) -> None:
    guest = make_guest("Dilfuza Kurolova", bio="Human rights lawyer.")
    make_episode("Majlis weekly", guests=json.dumps([guest.id]))
    make_episode("Права женщин", in_show=second_show, guests=json.dumps([guest.id]))
    links = _links(client, f"/guests/{guest.slug}")
    assert {"/shows/majlis/episodes/majlis-weekly", "/shows/azattyk/episodes/prava-zhenshchin"} <= (
        links
    )
    page = lxml.html.fromstring(client.get(f"/guests/{guest.slug}").get_data(as_text=True))
    labels = [a.text for a in page.xpath("//article[@class='card']/p[@class='kicker']/a")]
    assert sorted(labels) == ["Majlis", "Азаттык: подкаст"]  # each card says which show
    # Both feeds name her; her bio is written once.
    for url in ("/feed.xml", "/shows/azattyk/feed.xml"):
        assert "Dilfuza Kurolova" in _feed(client, url).get_data(as_text=True)


def test_a_guest_edit_changes_only_the_feeds_of_shows_she_is_on(
    client: FlaskClient, show: Show, second_show: Show, make_episode: Any, make_guest: Any
) -> None:
    from podcast.services.guests import parse_guest_input, save_guest

    guest = make_guest("Dilfuza Kurolova")
    make_episode("Majlis weekly", guests=json.dumps([guest.id]))
    make_episode("Новости", in_show=second_show)
    primary, second = _feed(client, "/feed.xml"), _feed(client, "/shows/azattyk/feed.xml")
    save_guest(db.session, None, guest, parse_guest_input({"name": "Dilfuza Kurolova-Karimova"}))
    assert "Kurolova-Karimova" in _feed(client, "/feed.xml").get_data(as_text=True)
    assert _feed(client, "/feed.xml").headers["ETag"] != primary.headers["ETag"]
    assert _feed(client, "/shows/azattyk/feed.xml").headers["ETag"] == second.headers["ETag"]


def test_the_sitemap_covers_every_show(
    client: FlaskClient, show: Show, second_show: Show, make_episode: Any
) -> None:
    make_episode("Majlis weekly")
    make_episode("Новости недели", in_show=second_show)
    root = lxml.etree.fromstring(client.get("/sitemap.xml").data)
    locations = {el.text for el in root.iter("{*}loc")}
    assert {
        f"{SITE}/",
        f"{SITE}/shows/majlis/",
        f"{SITE}/shows/azattyk/",
        f"{SITE}/shows/majlis/episodes/majlis-weekly",
        f"{SITE}/shows/azattyk/episodes/novosti-nedeli",
    } <= locations


def test_an_episode_page_links_and_describes_its_own_show(
    client: FlaskClient, show: Show, second_show: Show, make_episode: Any
) -> None:
    make_episode("Новости недели", in_show=second_show)
    make_episode("Новости недели 2", in_show=second_show)
    doc = lxml.html.fromstring(
        client.get("/shows/azattyk/episodes/novosti-nedeli").get_data(as_text=True)
    )
    assert doc.get("lang") == "ru"
    assert doc.xpath("//link[@rel='canonical']/@href") == [
        f"{SITE}/shows/azattyk/episodes/novosti-nedeli"
    ]
    assert doc.xpath("//link[@type='application/rss+xml']/@href") == ["/shows/azattyk/feed.xml"]
    data = json.loads(doc.xpath("//script[@type='application/ld+json']/text()")[0])
    assert data["partOfSeries"]["url"] == f"{SITE}/shows/azattyk/"
    assert "/shows/azattyk/episodes/novosti-nedeli-2" in {a.get("href") for a in doc.iter("a")}


@pytest.mark.parametrize("archived", [False, True])
def test_an_archived_show_says_so_and_its_feed_is_complete(
    client: FlaskClient, show: Show, second_show: Show, make_episode: Any, archived: bool
) -> None:
    from podcast.errors import ConflictError

    make_episode("Новости недели", in_show=second_show)
    if archived:
        second_show.archived_at = utcnow()
        from podcast.services.shows import bump_revision

        bump_revision(second_show)
        db.session.commit()
    feed = _feed(client, "/shows/azattyk/feed.xml").get_data(as_text=True)
    assert ("<itunes:complete>yes</itunes:complete>" in feed.lower()) is archived
    page = client.get("/shows/azattyk/").get_data(as_text=True)
    # The second show is in Russian, and so is its page (i18n): "Подкаст в архиве".
    assert ("в архиве" in page.lower()) is archived
    if archived:
        with pytest.raises(ConflictError, match="archived"):
            make_episode("Ещё одна", in_show=second_show)


def test_an_address_that_cannot_be_a_handle_is_simply_not_found(
    client: FlaskClient, show: Show, api_token: Any
) -> None:
    """A NUL or an oversized handle never reaches the database (PostgreSQL refused it: 500)."""
    odd = ["a%00b", "x" * 300, "%D0%B0%D0%B1"]
    for handle in odd:
        for url in (f"/shows/{handle}/", f"/shows/{handle}/feed.xml"):
            assert client.get(url).status_code == 404, url
    headers = api_token("admin")
    for handle in odd:
        response = client.get(f"/api/v1/webhooks?show={handle}", headers=headers)
        assert response.status_code == 404, (handle, response.status_code)
        assert client.get(f"/api/v1/shows/{handle}", headers=headers).status_code == 404
