"""API authentication: bearer tokens only, for both roles, on every route; errors as JSON."""

from __future__ import annotations

from typing import Any

import pytest
from support.api import episode_form
from support.data import COVER

from podcast.extensions import db
from podcast.services.accounts import create_token

# (method, path template, body kind, expected success status)
ROUTES = [
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


@pytest.fixture
def world(show: Any, make_episode: Any, make_guest: Any) -> dict[str, int]:
    """An episode and a free guest to act on."""
    return {"episode": make_episode("Target").id, "guest": make_guest("Free Guest").id}


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
    ROUTES,
    ids=[f"{m} {t}" for m, t, _, _ in ROUTES],
)
def test_auth_matrix(client, api_token, world, credential, method, template, body, success):
    headers = _headers(credential, api_token)
    response = _call(client, method, template.format(**world), body, headers)
    if credential in ("none", "bad"):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]["code"] == "unauthorized"
    else:
        assert response.status_code == success, response.get_data(as_text=True)


def test_unauthorized_request_changes_nothing(client, world):
    response = client.delete(f"/api/v1/episodes/{world['episode']}")
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
def test_malformed_authorization_headers_are_401(client, world, value):
    response = client.get("/api/v1/episodes", headers={"Authorization": value})
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_scheme_is_case_insensitive(client, world, api_token):
    token = api_token("producer")["Authorization"].split(" ", 1)[1]
    response = client.get("/api/v1/episodes", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


def test_session_cookie_does_not_authenticate_the_api(client, world, login):
    user = login("admin")
    with client.session_transaction() as session:
        assert session["_user_id"] == str(user.id)  # the cookie is a real login
    response = client.get("/api/v1/episodes")
    assert response.status_code == 401
    assert client.get("/api/v1/show").status_code == 401


def test_token_of_a_disabled_user_is_refused(client, world, make_user):
    user = make_user("gone@example.org", "producer")
    token = create_token(db.session, user)
    user.active = False
    db.session.commit()
    response = client.get("/api/v1/episodes", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_no_csrf_token_needed_for_api_writes(app, client, world, api_token):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/api/v1/guests", headers=api_token("producer"), json={"name": "X"})
    assert response.status_code == 201


def test_openapi_document_is_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.1")


def test_malformed_json_is_400(client, world, api_token):
    response = client.post(
        "/api/v1/guests",
        headers=api_token("producer"),
        data='{"name": ',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', '{"name": NaN}', '{"name": "\\ud800"}'])
def test_json_that_is_not_a_plain_object_is_400(client, world, api_token, body):
    response = client.post(
        "/api/v1/guests", headers=api_token("producer"), data=body, content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("path", "method", "content_type"),
    [
        ("/api/v1/guests", "POST", "text/plain"),
        ("/api/v1/guests", "POST", "application/x-www-form-urlencoded"),
        ("/api/v1/episodes/{episode}", "PATCH", "application/xml"),
        ("/api/v1/show", "PATCH", None),
    ],
)
def test_wrong_content_type_is_415(client, world, api_token, path, method, content_type):
    headers = api_token("producer")
    if content_type:
        headers["Content-Type"] = content_type
    response = client.open(path.format(**world), method=method, headers=headers, data="name=x")
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_text_sent_where_a_file_belongs_is_422(client, world, api_token):
    response = client.patch(
        f"/api/v1/episodes/{world['episode']}",
        headers=api_token("producer"),
        data={"audio": "https://example.org/file.mp3"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "audio" in response.get_json()["error"]["fields"]


def test_file_sent_where_text_belongs_is_422(client, world, api_token):
    response = client.patch(
        "/api/v1/show",
        headers=api_token("producer"),
        data={"title": (COVER.open("rb"), "title.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "title" in response.get_json()["error"]["fields"]


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_wrong_method_says_which_methods_are_allowed(client, api_token):
    response = client.put("/api/v1/show", headers=api_token())
    assert response.status_code == 405
    assert {"GET", "PATCH"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert response.get_json()["error"]["code"] == "method_not_allowed"
