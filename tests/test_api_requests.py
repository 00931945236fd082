"""Requests the API refuses before any rule runs: bad JSON, a wrong content type, a file where
text belongs (or text where a file does), an unknown path or method; each a JSON error."""

from __future__ import annotations

from typing import Any

import pytest
from support.data import COVER


@pytest.fixture
def world(show: Any, make_episode: Any, make_guest: Any) -> dict[str, int]:
    """An episode and a free guest to act on."""
    return {"episode": make_episode("Target").id, "guest": make_guest("Free Guest").id}


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
