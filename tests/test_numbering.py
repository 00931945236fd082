"""Two episodes with the same season and number: the producer is warned, nothing is refused."""

from __future__ import annotations

import io

from support.api import episode_form
from support.data import SAMPLE_MP3

API = "/api/v1/episodes"


def post(client, headers, **fields):
    """Create an episode through the API (multipart with the sample audio)."""
    return client.post(API, headers=headers, data=episode_form(**fields),
                       content_type="multipart/form-data")  # fmt: skip


def test_api_create_and_patch_answer_a_warning_field(client, show, api_token):
    headers = api_token()
    first = post(client, headers, title="Первый", season="1", number="2")
    assert first.status_code == 201 and first.get_json()["warnings"] == []
    second = post(client, headers, title="Second", season="1", number="2")
    assert second.status_code == 201
    [warning] = second.get_json()["warnings"]
    assert "“Первый”" in warning and "season 1, episode 2" in warning
    other = post(client, headers, title="Other season", season="2", number="2")
    assert other.get_json()["warnings"] == []
    moved = client.patch(f"{API}/{other.get_json()['id']}", headers=headers, json={"season": 1})
    assert moved.status_code == 200
    assert "“Первый”, “Second” are also season 1, episode 2" in moved.get_json()["warnings"][0]
    assert "warnings" not in client.get(f"{API}/{first.get_json()['id']}", headers=headers).json


def test_the_admin_form_flashes_the_warning(client, login, no_csrf, make_episode):
    make_episode("Already numbered", number="5")
    login()
    response = client.post(
        "/admin/episodes/new",
        data={
            "title": "Same number",
            "number": "5",
            "audio": (io.BytesIO(SAMPLE_MP3.read_bytes()), "e.mp3"),
            "action": "publish",
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "“Already numbered” is also episode 5" in page
