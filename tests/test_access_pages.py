"""The admin area page by page, and the API's token rules (the table of every route, by
caller and show, is test_access.py)."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from support.api import episode_form

from podcast.extensions import db
from podcast.services.accounts import create_token


def _sent_to_login(response: Any) -> bool:
    return response.status_code == 302 and response.location.startswith("/login")


def test_get_on_a_delete_page_only_asks(client, login, targets) -> None:
    login("producer")
    page = client.get(f"/admin/episodes/{targets['episode']}/delete")
    assert page.status_code == 200
    form = lxml.html.fromstring(page.data).xpath("//form[@method='post' or @method='POST']")
    assert form, "the delete page asks with a form that posts"
    assert client.get(f"/shows/majlis/episodes/{targets['slug']}").status_code == 200


def test_get_on_logout_keeps_the_session(client, login, targets) -> None:
    login("producer")
    assert client.get("/logout").status_code == 200
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("role", ["producer", "admin"])
def test_a_session_cookie_does_not_open_the_api(client, login, targets, role) -> None:
    # The session is real (the admin opens) yet the API still asks for a token.
    login(role)
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/episodes").status_code == 401


def test_a_valid_token_does_not_open_the_admin(client, api_token, targets) -> None:
    headers = api_token("producer")
    assert client.get("/api/v1/episodes", headers=headers).status_code == 200
    for url in ("/admin/", "/admin/show", f"/admin/episodes/{targets['episode']}/edit"):
        assert _sent_to_login(client.get(url, headers=headers)), url


# The admin area, page by page.

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


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(client, targets, url) -> None:
    response = client.get(url.format(**targets))
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("url", ACTIONS)
def test_anonymous_actions_are_sent_to_login_and_change_nothing(client, targets, url) -> None:
    response = client.post(url.format(**targets), headers={"Referer": "https://localhost/"})
    if url in ("/admin/uploads/audio", "/admin/preview"):
        # Called by the form's scripts: a JSON 401 they can show instead of a redirect.
        assert response.status_code == 401
        assert "session has expired" in response.get_json()["error"]["message"]
    else:
        assert response.status_code == 302
        assert response.location.startswith("/login")
    assert client.get(f"/shows/majlis/episodes/{targets['slug']}").status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_producer_sees_everything_but_user_management(client, login, targets, url) -> None:
    login("producer")
    expected = 403 if url in ADMIN_ONLY else 200
    assert client.get(url.format(**targets)).status_code == expected


@pytest.mark.parametrize("url", PAGES)
def test_admin_sees_everything(client, login, targets, url) -> None:
    login("admin")
    assert client.get(url.format(**targets)).status_code == 200


def test_producer_cannot_change_accounts(client, login, no_csrf, targets) -> None:
    login("producer")
    assert (
        client.post(f"/admin/users/{targets['user']}/active", data={"active": "0"}).status_code
        == 403
    )
    create = client.post(
        "/admin/users", data={"email": "x@example.org", "password": "a" * 12, "role": "admin"}
    )
    assert create.status_code == 403


# The API: bearer tokens only, for both roles, on every route; errors as JSON.

# (method, path template, body kind, expected success status)
API_ROUTES = [
    ("GET", "/api/v1/episodes", None, 200),
    ("POST", "/api/v1/episodes", "episode-form", 201),
    ("GET", "/api/v1/episodes/{episode}", None, 200),
    ("PATCH", "/api/v1/episodes/{episode}", {"summary": "Changed"}, 200),
    ("DELETE", "/api/v1/episodes/{episode}", None, 204),
    ("GET", "/api/v1/guests", None, 200),
    ("POST", "/api/v1/guests", {"name": "New Guest"}, 201),
    ("GET", "/api/v1/guests/{guest}", None, 200),
    ("PATCH", "/api/v1/guests/{guest}", {"bio": "Changed"}, 200),
    ("DELETE", "/api/v1/guests/{guest}", None, 204),
    ("GET", "/api/v1/show", None, 200),
    ("PATCH", "/api/v1/show", {"subtitle": "Changed"}, 200),
]
CREDENTIALS = ["none", "bad", "producer", "admin"]


def _headers(credential: str, api_token: Any) -> dict[str, str]:
    if credential == "none":
        return {}
    if credential == "bad":
        return {"Authorization": "Bearer pod_not-a-real-token"}
    return api_token(credential)


def _call(client: Any, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    if body == "episode-form":
        return client.open(
            path,
            method=method,
            headers=headers,
            data=episode_form(),
            content_type="multipart/form-data",
        )
    if body is not None:
        return client.open(path, method=method, headers=headers, json=body)
    return client.open(path, method=method, headers=headers)


@pytest.mark.parametrize("credential", CREDENTIALS)
@pytest.mark.parametrize(
    ("method", "template", "body", "success"),
    API_ROUTES,
    ids=[f"{m} {t}" for m, t, _, _ in API_ROUTES],
)
def test_auth_matrix(client, api_token, targets, credential, method, template, body, success):
    headers = _headers(credential, api_token)
    response = _call(client, method, template.format(**targets), body, headers)
    if credential in ("none", "bad"):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]["code"] == "unauthorized"
    else:
        assert response.status_code == success, response.get_data(as_text=True)


def test_unauthorized_request_changes_nothing(client, targets):
    response = client.delete(f"/api/v1/episodes/{targets['episode']}")
    assert response.status_code == 401
    assert client.get("/api/v1/episodes/1").status_code == 401


@pytest.mark.parametrize(
    "value",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Token abc",
        "bearer pod_nope",
        "Bearer " + "x" * 500,
    ],
)
def test_malformed_authorization_headers_are_401(client, targets, value):
    response = client.get("/api/v1/episodes", headers={"Authorization": value})
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_scheme_is_case_insensitive(client, targets, api_token):
    token = api_token("producer")["Authorization"].split(" ", 1)[1]
    response = client.get("/api/v1/episodes", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


def test_session_cookie_does_not_authenticate_the_api(client, targets, login):
    user = login("admin")
    with client.session_transaction() as session:
        assert session["_user_id"] == user.get_id()  # the cookie is a real login
    response = client.get("/api/v1/episodes")
    assert response.status_code == 401
    assert client.get("/api/v1/show").status_code == 401


def test_token_of_a_disabled_user_is_refused(client, targets, make_user):
    user = make_user("gone@example.org", "producer")
    token = create_token(db.session, user)
    user.active = False
    db.session.commit()
    response = client.get("/api/v1/episodes", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_no_csrf_token_needed_for_api_writes(app, client, targets, api_token):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/api/v1/guests", headers=api_token("producer"), json={"name": "X"})
    assert response.status_code == 201


def test_openapi_document_is_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.1")
