"""The guests and show API: CRUD, conflicts, photos and artwork, bad input."""

from __future__ import annotations

import io
from typing import Any

import pytest
from support.api import stored_keys
from support.data import COVER, FIXTURES

GUESTS = "/api/v1/guests"
SHOW = "/api/v1/show"


@pytest.fixture
def headers(api_token: Any) -> dict[str, str]:
    """An admin's token (producers are covered by the auth matrix)."""
    return api_token("admin")


def test_create_guest_201_with_location_and_markdown_bio(client, headers):
    response = client.post(
        GUESTS,
        headers=headers,
        json={
            "name": "Дильфуза Куролова",
            "bio": "Researcher. <script>x</script> *Tashkent*.",
            "website": "https://example.org/dk",
            "links": [{"label": "Profile", "url": "https://example.org/p"}],
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/guests/{body['id']}")
    assert body["slug"] == "dilfuza-kurolova"
    assert body["url"] == "https://podcast.example.org/guests/dilfuza-kurolova"
    assert "<em>Tashkent</em>" in body["bio_html"] and "<script" not in body["bio_html"]
    assert body["links"] == [{"label": "Profile", "url": "https://example.org/p"}]
    assert body["photo"] is None
    assert client.get(f"{GUESTS}/{body['id']}", headers=headers).get_json() == body


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": "Tab\x1bname"}, "name"),
        ({"name": "Two\nlines\n"}, "name"),
        ({"name": "Trailing newline\n"}, "name"),
        ({"name": "Ann", "bio": "nul\x00"}, "bio"),
        ({"bio": "no name"}, "name"),
        ({"name": "Ann", "website": "ftp://example.org"}, "website"),
        ({"name": "Ann", "links": [{"url": "javascript:alert(1)"}]}, "links"),
        ({"name": "Ann", "links": "https://example.org"}, "links"),
    ],
)
def test_bad_guest_fields_are_422(client, headers, payload, field):
    response = client.post(GUESTS, headers=headers, json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert client.get(GUESTS, headers=headers).get_json()["items"] == []


def test_guest_list_pages_oldest_first(client, headers, make_guest):
    for name in ("Ann", "Bob", "Cem"):
        make_guest(name)
    first = client.get(f"{GUESTS}?limit=2", headers=headers).get_json()
    assert [g["name"] for g in first["items"]] == ["Ann", "Bob"]
    second = client.get(first["next"], headers=headers).get_json()
    assert [g["name"] for g in second["items"]] == ["Cem"] and second["next"] is None


def test_patch_guest_keeps_slug_and_unchanged_fields(client, headers, make_guest):
    guest = make_guest("Ann Smith", bio="Old bio", website="https://ann.example.org")
    response = client.patch(f"{GUESTS}/{guest.id}", headers=headers, json={"name": "Ann Jones"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["slug"]) == ("Ann Jones", "ann-smith")
    assert (body["bio"], body["website"]) == ("Old bio", "https://ann.example.org")


def test_patch_guest_photo_multipart_then_remove_with_null(client, headers, make_guest, storage):
    guest = make_guest("Ann")
    response = client.patch(
        f"{GUESTS}/{guest.id}",
        headers=headers,
        data={"photo": (io.BytesIO(COVER.read_bytes()), "me.jpg"), "bio": "New bio"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["photo"].endswith(".jpg") and body["bio"] == "New bio"
    assert len(stored_keys(storage)) == 1
    response = client.patch(f"{GUESTS}/{guest.id}", headers=headers, json={"photo": None})
    assert response.status_code == 200 and response.get_json()["photo"] is None
    assert stored_keys(storage) == []


def test_bad_photo_changes_nothing(client, headers, make_guest, storage):
    guest = make_guest("Ann")
    response = client.patch(
        f"{GUESTS}/{guest.id}",
        headers=headers,
        data={"photo": (io.BytesIO(b"not an image"), "me.jpg"), "name": "Changed"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "photo" in response.get_json()["error"]["fields"]
    assert client.get(f"{GUESTS}/{guest.id}", headers=headers).get_json()["name"] == "Ann"
    assert stored_keys(storage) == []


def test_delete_guest_on_an_episode_is_409_then_204_when_free(
    client, headers, make_guest, make_episode
):
    guest = make_guest("Ann")
    episode = make_episode("With Ann", guests=[guest.id])
    response = client.delete(f"{GUESTS}/{guest.id}", headers=headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict" and "With Ann" in error["message"]
    client.patch(f"/api/v1/episodes/{episode.id}", headers=headers, json={"guests": []})
    assert client.delete(f"{GUESTS}/{guest.id}", headers=headers).status_code == 204
    assert client.get(f"{GUESTS}/{guest.id}", headers=headers).status_code == 404


def test_guest_create_refuses_multipart(client, headers):
    response = client.post(
        GUESTS, headers=headers, data={"name": "Ann"}, content_type="multipart/form-data"
    )
    assert response.status_code == 415


def test_show_get_and_patch(client, headers, show):
    body = client.get(SHOW, headers=headers).get_json()
    assert body["title"] == "Majlis" and body["categories"] == ["News > Politics"]
    assert body["feed_url"] == "https://podcast.example.org/feed.xml"
    response = client.patch(
        SHOW,
        headers=headers,
        json={
            "subtitle": "Central Asia, weekly",
            "categories": ["News > Politics", "Society & Culture"],
            "explicit": True,
            "directory_links": {"apple": "https://podcasts.apple.com/x"},
        },
    )
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()
    assert changed["subtitle"] == "Central Asia, weekly" and changed["explicit"] is True
    assert changed["categories"] == ["News > Politics", "Society & Culture"]
    assert changed["directory_links"] == {"apple": "https://podcasts.apple.com/x"}
    assert changed["podcast_guid"] == body["podcast_guid"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ""}, "title"),
        ({"owner_email": "not-an-email"}, "owner_email"),
        ({"language": "english please"}, "language"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"categories": ["Cooking"]}, "categories"),
        ({"categories": []}, "categories"),
        ({"website": "example.org"}, "website"),
        ({"show_type": "daily"}, "show_type"),
        ({"description": "é" * 2001}, "description"),
    ],
)
def test_bad_show_fields_are_422_and_change_nothing(client, headers, show, payload, field):
    response = client.patch(SHOW, headers=headers, json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert client.get(SHOW, headers=headers).get_json()["title"] == "Majlis"


def test_show_artwork_multipart(client, headers, show, storage):
    response = client.patch(
        SHOW,
        headers=headers,
        data={
            "artwork": (io.BytesIO(COVER.read_bytes()), "cover.jpg"),
            "subtitle": "With art",
            "categories": ["News > Politics", "History"],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["artwork"].endswith(".jpg") and body["subtitle"] == "With art"
    assert body["categories"] == ["News > Politics", "History"]
    assert len(stored_keys(storage)) == 1


def test_show_bad_artwork_says_size_found_and_changes_nothing(client, headers, show, storage):
    cover = FIXTURES / "cover-not-square-600x400.jpg"
    response = client.patch(
        SHOW,
        headers=headers,
        data={"artwork": (io.BytesIO(cover.read_bytes()), "c.jpg"), "subtitle": "Nope"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "600×400" in response.get_json()["error"]["fields"]["artwork"]
    assert client.get(SHOW, headers=headers).get_json()["subtitle"] == ""
    assert stored_keys(storage) == []


def test_show_bad_fields_keep_the_old_artwork(client, headers, show, storage):
    response = client.patch(
        SHOW,
        headers=headers,
        data={"artwork": (io.BytesIO(COVER.read_bytes()), "c.jpg"), "owner_email": "nope"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert client.get(SHOW, headers=headers).get_json()["artwork"] is None
    assert stored_keys(storage) == []


def test_show_missing_is_404(client, headers):
    assert client.get(SHOW, headers=headers).status_code == 404
    assert client.patch(SHOW, headers=headers, json={"title": "x"}).status_code == 404
