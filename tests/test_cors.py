"""Browser-based players may read the feed, chapters, transcript, artwork and media (CORS)."""

from __future__ import annotations

import io

import pytest
from support.data import COVER

from podcast.extensions import db
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, update_episode
from podcast.services.shows import set_artwork
from podcast.services.uploads import Upload

VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello.\n"
ORIGIN = "https://player.example.net"


@pytest.fixture
def paths(make_episode, show, storage) -> dict[str, str]:
    """Every kind of file an app fetches, by name."""
    episode = make_episode(chapters='[{"start": 0, "title": "Intro"}]')
    files = Attachments(transcript=Upload(io.BytesIO(VTT), "t.vtt"))
    update_episode(db.session, storage, episode, parse_episode_input({}, partial=True,
                   timezone="UTC"), files, max_bytes=2**30)  # fmt: skip
    set_artwork(db.session, storage, show, Upload(io.BytesIO(COVER.read_bytes()), "cover.jpg"))
    return {
        "feed": "/feed.xml",
        "chapters": f"/episodes/{episode.slug}/chapters.json",
        "transcript": f"/episodes/{episode.slug}/transcript.vtt",
        "artwork": f"/media/{show.artwork.key}",
        "media": f"/media/{episode.audio.key}",
    }


@pytest.mark.parametrize("kind", ["feed", "chapters", "transcript", "artwork", "media"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_simple_requests_are_open_to_any_origin(client, paths, kind, method):
    response = client.open(paths[kind], method=method, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Content-Range" in response.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("kind", ["feed", "chapters", "transcript", "artwork", "media"])
def test_preflight_allows_ranges_and_revalidation(client, paths, kind):
    response = client.options(
        paths[kind],
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range, if-none-match",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "HEAD" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "range" in allowed and "if-none-match" in allowed


def test_a_ranged_media_request_exposes_its_range(client, paths):
    response = client.get(paths["media"], headers={"Origin": ORIGIN, "Range": "bytes=0-9"})
    assert response.status_code == 206
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_pages_and_the_admin_stay_closed(client, paths):
    assert "Access-Control-Allow-Origin" not in client.get("/").headers
    assert "Access-Control-Allow-Origin" not in client.get("/admin/").headers
