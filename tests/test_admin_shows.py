"""The admin's shows: the list, a new show (handle errors next to the field, what was typed
kept), archiving, deleting an empty show only, the episode form's show choice, the dashboard's
show filter, and memberships in /admin/users."""

from __future__ import annotations

import io
from typing import Any

import pytest
from lxml import html as lxml_html
from sqlalchemy import select
from support.data import SAMPLE_MP3, SHOW_SETTINGS

from podcast.extensions import db
from podcast.models import Episode, RetiredHandle, Show, ShowMember
from podcast.services.shows import archive_show, create_show

NEW_SHOW = {
    **{k: v for k, v in SHOW_SETTINGS.items() if isinstance(v, str)},
    "categories-0": "News > Politics",
    "handle": "ozodlik",
    "title": "Ozodlik podcast",
    "language": "uz-Latn",
}


def page(response: Any) -> Any:
    """The response parsed as HTML."""
    return lxml_html.fromstring(response.get_data(as_text=True))


def text(response: Any) -> str:
    """The page's visible text, spaces collapsed."""
    return " ".join(page(response).text_content().split())


@pytest.fixture
def second(show: Show) -> Show:
    """Azattyk, a second show next to the primary Majlis."""
    raw = {**SHOW_SETTINGS, "handle": "azattyk", "title": "Азаттык", "language": "ky"}
    return create_show(db.session, raw, "https://podcast.example.org/shows/azattyk/feed.xml")


def _episode(client: Any, **fields: Any) -> Any:
    data = {"title": "Шайлоо", "action": "publish", **fields}
    data["audio"] = (io.BytesIO(SAMPLE_MP3.read_bytes()), "episode.mp3")
    return client.post("/admin/episodes/new", data=data, content_type="multipart/form-data")


def test_the_list_names_each_show_with_its_handle_language_and_episodes(
    client, login, second, make_episode
) -> None:
    make_episode("One")
    archive_show(db.session, second, True)
    login("admin")
    rows = page(client.get("/admin/shows")).xpath('//tr[contains(@class, "show-row")]')
    cells = [[" ".join(td.text_content().split()) for td in row.xpath("td")][:5] for row in rows]
    assert cells == [
        ["Majlis", "majlis", "en", "1 episodes of Majlis", "active"],
        ["Азаттык", "azattyk", "ky", "0 episodes of Азаттык", "archived"],
    ]


def test_an_admin_creates_a_show_in_the_form(client, login, no_csrf, show) -> None:
    login("admin")
    response = client.post("/admin/shows/new", data=NEW_SHOW)
    assert response.status_code == 302, text(response)
    assert response.location == "/admin/shows/ozodlik"
    made = db.session.scalar(select(Show).where(Show.handle == "ozodlik"))
    assert made is not None and made.language == "uz-Latn"
    assert "/shows/ozodlik/feed.xml" in text(client.get("/admin/shows/ozodlik"))


@pytest.mark.parametrize(
    ("handle", "says"),
    [
        ("majlis", "taken by another show"),
        ("static", "reserved"),
        ("озодлик", "lowercase ASCII"),
        ("gone", "never given twice"),
    ],
)
def test_a_refused_handle_is_said_next_to_its_field(
    client, login, no_csrf, show, handle, says
) -> None:
    db.session.add(RetiredHandle(handle="gone"))
    db.session.commit()
    login("admin")
    response = client.post("/admin/shows/new", data={**NEW_SHOW, "handle": handle})
    assert response.status_code == 422
    form = page(response)
    error = form.xpath('//input[@name="handle"]/ancestor::div[1]//*[@class="field-error"]')
    assert error and says in error[0].text_content()
    assert form.xpath('//input[@name="handle"]/@value') == [handle]
    assert form.xpath('//input[@name="title"]/@value') == ["Ozodlik podcast"]
    assert db.session.query(Show).count() == 1


def test_an_archived_show_is_not_offered_and_refuses_new_episodes(
    client, login, no_csrf, second
) -> None:
    login("producer")  # a member of both shows
    choices = page(client.get("/admin/episodes/new")).xpath('//select[@name="show"]/option/@value')
    assert choices == ["majlis", "azattyk"]
    login("admin")
    client.post("/admin/shows/azattyk/archive")
    db.session.expire_all()
    assert second.archived
    assert "takes no new episodes" in text(client.get("/admin/shows/azattyk"))
    form = page(client.get("/admin/episodes/new"))
    assert form.xpath('//select[@name="show"]') == []
    assert form.xpath('//input[@name="show"]/@value') == ["majlis"]
    # Posting to it anyway: no show to take it, nothing made.
    assert _episode(client, show="azattyk").status_code == 404
    assert db.session.query(Episode).count() == 0
    client.post("/admin/shows/azattyk/unarchive")
    db.session.expire_all()
    assert not second.archived


def test_an_episode_goes_to_the_show_chosen_in_the_form(client, login, no_csrf, second) -> None:
    login("producer")
    response = _episode(client, show="azattyk")
    assert response.status_code == 302, text(response)
    episode = db.session.scalar(select(Episode))
    assert episode.show_id == second.id
    dashboard = client.get("/admin/?show=azattyk")
    row = page(dashboard).xpath('//tr[contains(@class, "episode-row")]')
    assert len(row) == 1 and "Азаттык" in row[0].text_content()
    assert (
        page(client.get("/admin/?show=majlis")).xpath('//tr[contains(@class, "episode-row")]') == []
    )


def test_a_producer_cannot_post_an_episode_to_a_show_they_are_not_a_member_of(
    client, login, no_csrf, show, second, make_user
) -> None:
    from support.auth import sign_in_as

    sign_in_as(client, make_user("cz@example.org", shows=[show]))
    assert _episode(client, show="azattyk").status_code == 404
    assert db.session.query(Episode).count() == 0
    choices = page(client.get("/admin/episodes/new")).xpath('//select[@name="show"]')
    assert choices == []  # one show: nothing to choose


def test_a_show_with_episodes_is_not_deleted_and_archiving_is_offered(
    client, login, no_csrf, second, storage
) -> None:
    from podcast.services.episode_input import parse_episode_input
    from podcast.services.episodes import create_episode

    data = parse_episode_input({"title": "Draft"}, partial=False, timezone="UTC")
    create_episode(db.session, storage, second, data, max_bytes=2**30)
    login("admin")
    response = client.post("/admin/shows/azattyk/delete", follow_redirects=True)
    said = text(response)
    assert "still has 1 episode" in said and "archive the show instead" in said
    assert db.session.scalar(select(Show).where(Show.handle == "azattyk")) is not None


def test_an_empty_show_is_deleted_and_its_handle_retired(client, login, no_csrf, second) -> None:
    login("admin")
    response = client.post("/admin/shows/azattyk/delete")
    assert response.status_code == 302
    assert db.session.get(RetiredHandle, "azattyk") is not None
    assert client.get("/admin/shows/azattyk").status_code == 404
    again = client.post("/admin/shows/new", data={**NEW_SHOW, "handle": "azattyk"})
    assert again.status_code == 422 and "never given twice" in text(again)


def test_the_primary_show_is_never_deleted(client, login, no_csrf, show, second) -> None:
    login("admin")
    said = text(client.post("/admin/shows/majlis/delete", follow_redirects=True))
    assert "primary show" in said
    assert db.session.scalar(select(Show).where(Show.handle == "majlis")) is not None


def test_admins_manage_memberships_in_users(
    client, login, no_csrf, show, second, make_user, make_episode
) -> None:
    producer = make_user("kg@example.org", shows=[])
    make_episode("Majlis only")
    login("admin")
    users = page(client.get("/admin/users"))
    boxes = users.xpath(f'//form[@action="/admin/users/{producer.id}/shows"]//input[@name="show"]')
    assert [box.get("value") for box in boxes] == [str(show.id), str(second.id)]
    assert not any(box.get("checked") is not None for box in boxes)
    response = client.post(f"/admin/users/{producer.id}/shows", data={"show": [str(second.id)]})
    assert response.status_code == 302
    members = db.session.scalars(
        select(ShowMember.show_id).where(ShowMember.user_id == producer.id)
    )
    assert list(members) == [second.id]
    from support.auth import sign_in_as

    sign_in_as(client, producer)
    assert "Majlis only" not in text(client.get("/admin/"))
    assert client.get("/admin/shows/majlis").status_code == 404
    assert client.get("/admin/shows/azattyk").status_code == 200
