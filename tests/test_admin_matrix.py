"""Who may open what: anonymous -> /login, producers everything but users, admins everything."""

from __future__ import annotations

from typing import Any

import pytest

PAGES = [
    "/admin/",
    "/admin/episodes/new",
    "/admin/episodes/{episode}/edit",
    "/admin/episodes/{episode}/delete",
    "/admin/guests",
    "/admin/guests/new",
    "/admin/guests/{guest}/edit",
    "/admin/show",
    "/admin/users",
]
ADMIN_ONLY = {"/admin/users"}
ACTIONS = [
    "/admin/episodes/{episode}/unpublish",
    "/admin/episodes/{episode}/delete",
    "/admin/guests/{guest}/delete",
    "/admin/uploads/audio",
    "/admin/preview",
    "/admin/users/{user}/active",
]


@pytest.fixture
def ids(make_episode: Any, make_guest: Any, make_user: Any) -> dict[str, int]:
    """An episode, a guest and another user for the URLs."""
    return {
        "episode": make_episode("Matrix").id,
        "guest": make_guest("Matrix Guest").id,
        "user": make_user("other@example.org").id,
    }


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(client, ids, url) -> None:
    response = client.get(url.format(**ids))
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("url", ACTIONS)
def test_anonymous_actions_are_sent_to_login_and_change_nothing(client, ids, url) -> None:
    response = client.post(url.format(**ids), headers={"Referer": "https://localhost/"})
    if url in ("/admin/uploads/audio", "/admin/preview"):
        # Called by the form's scripts: a JSON 401 they can show instead of a redirect.
        assert response.status_code == 401
        assert "session has expired" in response.get_json()["error"]["message"]
    else:
        assert response.status_code == 302
        assert response.location.startswith("/login")
    assert client.get("/episodes/matrix").status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_producer_sees_everything_but_user_management(client, login, ids, url) -> None:
    login("producer")
    expected = 403 if url in ADMIN_ONLY else 200
    assert client.get(url.format(**ids)).status_code == expected


@pytest.mark.parametrize("url", PAGES)
def test_admin_sees_everything(client, login, ids, url) -> None:
    login("admin")
    assert client.get(url.format(**ids)).status_code == 200


def test_producer_cannot_change_accounts(client, login, no_csrf, ids) -> None:
    login("producer")
    assert (
        client.post(f"/admin/users/{ids['user']}/active", data={"active": "0"}).status_code == 403
    )
    create = client.post(
        "/admin/users", data={"email": "x@example.org", "password": "a" * 12, "role": "admin"}
    )
    assert create.status_code == 403
