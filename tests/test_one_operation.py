"""One operation, one behaviour, whatever the surface: the admin form and the API save a guest
with a photo, and the show with artwork, through the same service call, in the same order.

A refused file changes nothing: not the other fields typed with it, not storage. (Before,
the admin form saved the fields first and then failed on the file, while the API refused both.)
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from support.data import FIXTURES

from podcast.extensions import db
from podcast.models import Guest, MediaAsset, Show

BAD_ARTWORK = FIXTURES / "cover-not-square-600x400.jpg"
SHOW_FORM = {
    "title": "Majlis",
    "description": "RFE/RL's weekly podcast on Central Asia.",
    "owner_email": "podcasts@example.org",
    "language": "en",
    "timezone": "Europe/Prague",
    "categories-0": "News > Politics",
    "show_type": "episodic",
}


def _admin(client: Any, login: Any, no_csrf: Any) -> Any:
    login("admin")

    def post(path: str, data: dict[str, Any]) -> Any:
        return client.post(f"/admin{path}", data=data, content_type="multipart/form-data")

    return post


def _api(client: Any, api_token: Any) -> Any:
    headers = api_token("admin")

    def patch(path: str, data: dict[str, Any]) -> Any:
        return client.patch(f"/api/v1{path}", data=data, headers=headers)

    return patch


@pytest.fixture(params=["admin", "api"])
def surface(request: pytest.FixtureRequest, client: Any) -> tuple[str, Any]:
    """(name, send): the admin form or the API, each signed in as an admin."""
    if request.param == "admin":
        return "admin", _admin(client, request.getfixturevalue("login"), None)
    return "api", _api(client, request.getfixturevalue("api_token"))


def _file(path: Any, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(path.read_bytes()), name


def test_refused_artwork_leaves_the_settings_sent_with_it_unsaved(
    surface: tuple[str, Any], show: Show, storage: Any, no_csrf: Any
) -> None:
    name, send = surface
    artwork = _file(BAD_ARTWORK, "cover.jpg")
    if name == "admin":
        response = send("/show", {**SHOW_FORM, "subtitle": "Renamed", "artwork": artwork})
    else:
        response = send("/show", {"subtitle": "Renamed", "artwork": artwork})
    assert response.status_code == 422
    db.session.expire_all()
    saved = db.session.get(Show, show.id)
    assert saved.subtitle == "" and saved.artwork is None
    assert list(storage.iter_keys()) == []


def test_refused_photo_leaves_the_guest_as_it_was(
    surface: tuple[str, Any], make_guest: Any, storage: Any, no_csrf: Any
) -> None:
    name, send = surface
    guest = make_guest("Zarina Ergasheva", bio="Old bio")
    photo = _file(FIXTURES / "not-audio.mp3", "me.jpg")
    path = f"/guests/{guest.id}/edit" if name == "admin" else f"/guests/{guest.id}"
    response = send(path, {"name": "Zarina E.", "bio": "New bio", "photo": photo})
    assert response.status_code == 422
    db.session.expire_all()
    saved = db.session.get(Guest, guest.id)
    assert (saved.name, saved.bio, saved.photo) == ("Zarina Ergasheva", "Old bio", None)
    assert db.session.query(MediaAsset).count() == 0 and list(storage.iter_keys()) == []
