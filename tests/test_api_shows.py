"""The API's shows: /api/v1/shows (list; create for admins), /api/v1/shows/<handle> (get,
patch) and its episodes; what a producer who is not a member gets (404, nothing said), and
every reason a handle is refused, as a field error. Runs on PostgreSQL too."""

from __future__ import annotations

from typing import Any

import pytest
from support.api import episode_count, episode_form
from support.data import SHOW_SETTINGS

from podcast.extensions import db
from podcast.jobs import enqueue
from podcast.models import Show
from podcast.services.shows import archive_show, create_show, delete_show

NEW_SHOW = {"handle": "ozodlik", "title": "Ozodlik podcast", "language": "uz-Latn"}


@pytest.fixture
def second(show: Show) -> Show:
    """A second show, Azattyk, next to the primary Majlis."""
    raw = {**SHOW_SETTINGS, "handle": "azattyk", "title": "Азаттык", "language": "ky"}
    return create_show(db.session, raw, "https://podcast.example.org/shows/azattyk/feed.xml")


@pytest.fixture
def tokens(second: Show, show: Show, make_user: Any) -> dict[str, dict[str, str]]:
    """Authorization headers: an admin, a member of Azattyk only, a member of Majlis only."""
    from podcast.services.accounts import create_token

    users = {
        "admin": make_user("boss@example.org", "admin"),
        "azattyk": make_user("kg@example.org", shows=[second]),
        "majlis": make_user("cz@example.org", shows=[show]),
    }
    return {
        name: {"Authorization": f"Bearer {create_token(db.session, user)}"}
        for name, user in users.items()
    }


def test_a_producer_lists_only_the_shows_they_are_a_member_of(client, tokens) -> None:
    handles = lambda who: [  # noqa: E731
        item["handle"]
        for item in client.get("/api/v1/shows", headers=tokens[who]).get_json()["items"]
    ]
    assert handles("admin") == ["majlis", "azattyk"]
    assert handles("azattyk") == ["azattyk"]
    assert handles("majlis") == ["majlis"]


def test_an_admin_creates_a_show_and_its_feed_lives_under_its_handle(client, tokens) -> None:
    response = client.post("/api/v1/shows", headers=tokens["admin"], json=NEW_SHOW)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["handle"] == "ozodlik" and body["language"] == "uz-Latn"
    assert body["feed_url"] == "https://podcast.example.org/shows/ozodlik/feed.xml"
    assert body["archived"] is False
    assert response.headers["Location"].endswith("/api/v1/shows/ozodlik")
    got = client.get("/api/v1/shows/ozodlik", headers=tokens["admin"]).get_json()
    assert got["podcast_guid"] == body["podcast_guid"]


def test_a_producer_cannot_create_a_show(client, tokens) -> None:
    response = client.post("/api/v1/shows", headers=tokens["azattyk"], json=NEW_SHOW)
    assert response.status_code == 403
    assert db.session.query(Show).count() == 2


@pytest.mark.parametrize(
    ("handle", "says"),
    [
        ("majlis", "taken"),
        ("admin", "reserved"),
        ("api", "reserved"),
        ("маджлис", "lowercase ASCII"),
        ("ozodlik radiosi", "lowercase ASCII"),
        ("x", "2 to 40"),
        ("gone", "deleted show"),
    ],
)
def test_a_refused_handle_is_a_field_error(client, tokens, handle, says) -> None:
    gone = create_show(db.session, {**SHOW_SETTINGS, "handle": "gone"}, "https://x.example/g")
    delete_show(db.session, None, gone, primary=None)
    response = client.post(
        "/api/v1/shows", headers=tokens["admin"], json={**NEW_SHOW, "handle": handle}
    )
    assert response.status_code == 422, response.get_json()
    assert says in response.get_json()["error"]["fields"]["handle"]
    assert db.session.query(Show).count() == 2


def test_a_show_patched_by_handle_and_its_handle_never_changes(client, tokens) -> None:
    response = client.patch(
        "/api/v1/shows/azattyk", headers=tokens["azattyk"], json={"subtitle": "Жаңылыктар"}
    )
    assert response.status_code == 200
    assert response.get_json()["subtitle"] == "Жаңылыктар"
    renamed = client.patch(
        "/api/v1/shows/azattyk", headers=tokens["admin"], json={"handle": "other"}
    )
    assert renamed.status_code == 422
    assert client.get("/api/v1/shows/azattyk", headers=tokens["admin"]).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/shows/azattyk"),
        ("PATCH", "/api/v1/shows/azattyk"),
        ("GET", "/api/v1/shows/azattyk/episodes"),
        ("POST", "/api/v1/shows/azattyk/episodes"),
        ("GET", "/api/v1/shows/nowhere"),
    ],
)
def test_a_non_member_gets_404_as_for_a_missing_show(client, tokens, method, path) -> None:
    body: dict[str, Any] = {"json": {"subtitle": "Mine now"}} if method == "PATCH" else {}
    if method == "POST":
        body = {"data": episode_form()}
    response = client.open(path, method=method, headers=tokens["majlis"], **body)
    assert response.status_code == 404
    assert "Азаттык" not in response.get_data(as_text=True)
    assert episode_count() == 0


def test_episodes_of_a_show_are_made_and_listed_there_only(client, tokens) -> None:
    made = client.post(
        "/api/v1/shows/azattyk/episodes",
        headers=tokens["azattyk"],
        data=episode_form(title="Шайлоо"),
    )
    assert made.status_code == 201, made.get_json()
    episode = made.get_json()
    assert episode["show"] == "azattyk" and episode["slug"] == "shailoo"
    listed = client.get("/api/v1/shows/azattyk/episodes", headers=tokens["azattyk"]).get_json()
    assert [item["id"] for item in listed["items"]] == [episode["id"]]
    # /api/v1/episodes is the primary show's: Azattyk's episode is not there...
    primary = client.get("/api/v1/episodes", headers=tokens["admin"]).get_json()
    assert primary["items"] == []
    # ...yet its id is global: its members and admins reach it at /api/v1/episodes/<id>.
    path = f"/api/v1/episodes/{episode['id']}"
    assert client.get(path, headers=tokens["azattyk"]).status_code == 200
    assert client.get(path, headers=tokens["admin"]).status_code == 200
    hidden = client.get(path, headers=tokens["majlis"])
    assert hidden.status_code == 404 and "Шайлоо" not in hidden.get_data(as_text=True)
    assert client.delete(path, headers=tokens["majlis"]).status_code == 404
    assert client.patch(path, headers=tokens["majlis"], json={"title": "X"}).status_code == 404
    assert client.get(path, headers=tokens["azattyk"]).get_json()["title"] == "Шайлоо"


def test_the_same_title_in_two_shows_gets_the_same_slug(client, tokens) -> None:
    for handle in ("majlis", "azattyk"):
        response = client.post(
            f"/api/v1/shows/{handle}/episodes", headers=tokens["admin"], data=episode_form()
        )
        assert response.status_code == 201
        assert response.get_json()["slug"] == "silence-and-impunity"


def test_an_archived_show_takes_no_new_episodes(client, tokens, second) -> None:
    archive_show(db.session, second, True)
    response = client.post(
        "/api/v1/shows/azattyk/episodes", headers=tokens["azattyk"], data=episode_form()
    )
    assert response.status_code == 409
    assert "archived" in response.get_json()["error"]["message"]
    assert episode_count() == 0
    shown = client.get("/api/v1/shows/azattyk", headers=tokens["azattyk"]).get_json()
    assert shown["archived"] is True


def test_a_member_of_another_show_only_gets_404_from_the_primary_shows_routes(
    client, tokens
) -> None:
    for method, path in (("GET", "/api/v1/show"), ("GET", "/api/v1/episodes")):
        assert client.open(path, method=method, headers=tokens["azattyk"]).status_code == 404
    response = client.post("/api/v1/episodes", headers=tokens["azattyk"], data=episode_form())
    assert response.status_code == 404
    assert episode_count() == 0


def test_jobs_are_filtered_by_handle_and_a_producer_sees_only_their_shows(
    client, tokens, show, second
) -> None:
    mine = enqueue(db.session, "ping", {}, show_id=second.id)
    theirs = enqueue(db.session, "ping", {}, show_id=show.id)
    db.session.commit()
    listed = client.get("/api/v1/jobs", headers=tokens["azattyk"]).get_json()
    assert [job["id"] for job in listed["items"]] == [mine.id]
    assert client.get(f"/api/v1/jobs/{theirs.id}", headers=tokens["azattyk"]).status_code == 404
    by_handle = client.get("/api/v1/jobs?show=majlis", headers=tokens["admin"]).get_json()
    assert [job["id"] for job in by_handle["items"]] == [theirs.id]
    assert client.get("/api/v1/jobs?show=majlis", headers=tokens["azattyk"]).status_code == 404


def test_webhooks_belong_to_the_show_named(app, client, tokens, second) -> None:
    app.config["PODCAST_WEBHOOK_ALLOW_PRIVATE"] = True
    made = client.post(
        "/api/v1/webhooks",
        headers=tokens["admin"],
        json={"url": "https://93.184.216.34/hooks/kg", "show": "azattyk"},
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["show_id"] == second.id
    mine = client.get("/api/v1/webhooks?show=azattyk", headers=tokens["admin"]).get_json()
    assert [hook["id"] for hook in mine["items"]] == [made.get_json()["id"]]
    assert client.get("/api/v1/webhooks", headers=tokens["admin"]).get_json()["items"] == []
    refused = client.get("/api/v1/webhooks?show=azattyk", headers=tokens["azattyk"])
    assert refused.status_code == 403
