"""Hostile input that used to answer 500 or lie: each gets a 4xx with a sentence, or the truth."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import unquote

import lxml.html
import pytest
from support.api import episode_count, episode_form, seed_show_and_token
from support.data import PASSWORD, SAMPLE_MP3
from test_auth import log_in
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart


def _titles(client, query: str) -> list[str]:
    response = client.get("/", query_string={"q": query})
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    return [" ".join(h.text_content().split()) for h in doc.xpath("//h3")]


# --- search: LIKE wildcards are ordinary characters ------------------------------------------


@pytest.mark.parametrize("query", ["%", "_", "\\", "%%", "a_c", "50%"])
def test_search_wildcards_match_only_themselves(client, make_episode, query):
    make_episode(title="Silence and Impunity")
    make_episode(title="abc and more")
    assert _titles(client, query) == []


def test_search_finds_literal_percent_underscore_and_backslash(client, make_episode):
    make_episode(title="Turnout of 50% in Bishkek")
    make_episode(title="snake_case and back\\slash")
    make_episode(title="Turnout of 500 in Osh")
    assert _titles(client, "50%") == ["Turnout of 50% in Bishkek"]
    assert _titles(client, "snake_case") == ["snake_case and back\\slash"]
    assert _titles(client, "back\\slash") == ["snake_case and back\\slash"]


# --- the API: JSON nested deeper than any field needs ------------------------------------------

DEEP = 100_000


@pytest.fixture
def api(app):
    """The Authorization header of a producer, with the show, one episode and one guest."""
    headers = seed_show_and_token()
    client = app.test_client()
    created = client.post("/api/v1/episodes", headers=headers, data=episode_form())
    assert created.status_code == 201, created.get_json()
    guest = client.post("/api/v1/guests", headers=headers, json={"name": "Dilfuza Kurolova"})
    assert guest.status_code == 201, guest.get_json()
    return headers, created.get_json()["id"], guest.get_json()["id"]


def _writes(episode_id: int, guest_id: int) -> list[tuple[str, str]]:
    return [
        ("POST", "/api/v1/episodes"),
        ("PATCH", f"/api/v1/episodes/{episode_id}"),
        ("POST", "/api/v1/guests"),
        ("PATCH", f"/api/v1/guests/{guest_id}"),
        ("PATCH", "/api/v1/show"),
    ]


@pytest.mark.parametrize(
    "body",
    ["[" * DEEP, "[" * DEEP + "]" * DEEP, '{"title": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}"],
    ids=["open", "closed", "in-a-field"],
)
def test_deeply_nested_json_body_is_a_400_with_a_sentence(app, api, body):
    headers, episode_id, guest_id = api
    client = app.test_client()
    for method, path in _writes(episode_id, guest_id):
        response = client.open(
            path, method=method, headers=headers, data=body, content_type="application/json"
        )
        assert response.status_code == 400, (method, path, response.status_code)
        error = response.get_json()["error"]
        assert "nest" in error["message"] and "levels" in error["message"], error
    assert episode_count() == 1


def test_deeply_nested_json_part_of_a_multipart_body_is_a_400_naming_it(app, api):
    headers, episode_id, guest_id = api
    client = app.test_client()
    deep = "[" * DEEP + "]" * DEEP
    for path, name in [
        ("/api/v1/episodes", "chapters"),
        (f"/api/v1/episodes/{episode_id}", "guests"),
        (f"/api/v1/guests/{guest_id}", "links"),
        ("/api/v1/show", "hosts"),
    ]:
        method = "POST" if path == "/api/v1/episodes" else "PATCH"
        data = episode_form(**{name: deep}) if method == "POST" else {name: deep}
        response = client.open(
            path, method=method, headers=headers, data=data, content_type="multipart/form-data"
        )
        assert response.status_code == 400, (path, response.get_json())
        error = response.get_json()["error"]
        assert "levels" in error["fields"][name], error
    assert episode_count() == 1


def test_json_as_deep_as_real_bodies_is_still_read(app, api):
    headers, episode_id, _ = api
    chapters = [{"start": 0, "title": "[{Intro}]"}, {"start": 5, "title": '"]]]]"'}]
    response = app.test_client().patch(
        f"/api/v1/episodes/{episode_id}", headers=headers, json={"chapters": chapters}
    )
    assert response.status_code == 200, response.get_json()


def test_deeply_nested_backup_manifest_is_refused_with_a_sentence(runner, tmp_path):
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "manifest.json").write_text("[" * DEEP)
    result = runner.invoke(args=["import", str(tmp_path / "deep")])
    assert result.exit_code == 1
    assert "is not valid JSON" in result.output and "levels" in result.output, result.output


# --- the log-in link's next= ---------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/\r\nSet-Cookie: stolen=1",
        "/admin/\x00",
        "/\t/evil.example/",
        "/\n/evil.example/",
        " //evil.example/",
        "/\x7f",
        "/\u2028/evil.example/",
        "/\u200b/evil.example/",
    ],
    ids=["crlf", "nul", "tab", "newline", "space", "del", "line-separator", "zero-width"],
)
def test_next_with_control_characters_falls_back_to_the_dashboard(client, make_user, target):
    make_user("producer@example.org")
    response = log_in(client, "producer@example.org", PASSWORD, next=target)
    assert response.status_code == 302 and response.location == "/admin/"
    assert client.get("/admin/").status_code == 200
    again = client.get("/login", query_string={"next": target})
    assert again.status_code == 302 and again.location == "/admin/"


def test_next_with_unicode_path_is_still_followed(client, make_user):
    make_user("producer@example.org")
    target = "/guests/дилфуза?q=a%20b"
    response = log_in(client, "producer@example.org", PASSWORD, next=target)
    assert response.status_code == 302 and unquote(response.location) == unquote(target)


# --- multipart bodies: say what really went wrong ------------------------------------------


def _multipart(fields: list[tuple[str, Any]]) -> tuple[str, bytes]:
    """A multipart body and its Content-Type, as a client would send it."""
    boundary, body = encode_multipart(MultiDict(fields))
    return f"multipart/form-data; boundary={boundary}", body


def _audio_body() -> tuple[str, bytes]:
    audio = FileStorage(io.BytesIO(SAMPLE_MP3.read_bytes()), "episode.mp3", "audio", "audio/mpeg")
    return _multipart([("title", "Выборы"), ("audio", audio)])


def _post(client, path: str, content_type: str, body: bytes, **headers: str):
    return client.post(path, data=body, headers={"Content-Type": content_type, **headers})


MANY_PARTS = [("guests", str(n)) for n in range(5000)]


def test_too_many_parts_says_so_on_the_api(app, api):
    headers = api[0]
    content_type, body = _multipart([("title", "Many"), *MANY_PARTS])
    response = _post(app.test_client(), "/api/v1/episodes", content_type, body, **headers)
    assert response.status_code == 413
    message = response.get_json()["error"]["message"]
    assert "parts" in message and "1000" in message.replace(",", "") and "MB" not in message
    assert episode_count() == 1


def test_too_many_parts_says_so_on_the_admin_form(client, show, login):
    login("producer")
    content_type, body = _multipart([("title", "Many"), *MANY_PARTS])
    response = _post(client, "/admin/episodes/new", content_type, body)
    assert response.status_code == 413
    summary = lxml.html.fromstring(response.data).xpath("//*[@role='alert']")[0].text_content()
    assert "parts" in summary and "MB" not in summary


def test_an_oversized_text_field_says_so_not_the_upload_limit(app, api):
    headers = api[0]
    content_type, body = _multipart([("title", "Long"), ("description", "ж" * 400_000)])
    response = _post(app.test_client(), "/api/v1/episodes", content_type, body, **headers)
    assert response.status_code == 413
    message = response.get_json()["error"]["message"]
    assert "text field" in message and "500" in message and "MB" not in message, message


def test_a_body_cut_off_mid_file_says_so_on_the_api(app, api):
    headers = api[0]
    content_type, body = _audio_body()
    response = _post(
        app.test_client(), "/api/v1/episodes", content_type, body[: len(body) // 2], **headers
    )
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert "cut off" in message and "no fields" not in message, message
    assert episode_count() == 1


def test_a_body_cut_off_mid_file_says_so_on_the_admin_form(client, show, login):
    login("producer")
    content_type, body = _audio_body()
    response = _post(client, "/admin/episodes/new", content_type, body[: len(body) // 2])
    assert response.status_code == 400
    assert "cut off" in response.get_data(as_text=True)
    staged = _post(client, "/admin/uploads/audio", content_type, body[: len(body) // 2])
    assert staged.status_code == 400 and "cut off" in staged.get_json()["error"]["message"]


def test_a_body_without_its_boundary_says_so(app, api):
    headers = api[0]
    response = _post(
        app.test_client(),
        "/api/v1/episodes",
        "multipart/form-data; boundary=nowhere",
        b"this is not multipart at all",
        **headers,
    )
    assert response.status_code == 400
    assert "boundary" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("given", ["²", "١٢", "௧"])
def test_a_show_id_in_other_scripts_digits_is_refused_not_a_server_error(app, api, given):
    # str.isdigit() says yes to these, int() says no: found by schemathesis.
    response = app.test_client().get(f"/api/v1/jobs?show={given}", headers=api[0])
    assert response.status_code == 422
    assert "show" in response.get_json()["error"]["fields"]
