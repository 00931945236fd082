"""The episodes API: create, read, change, delete, and every bad input refused cleanly."""

from __future__ import annotations

import io
from typing import Any

import lxml.html
import pytest
from sqlalchemy import select
from support.api import (
    asset_count,
    audio_part,
    episode_count,
    episode_form,
    stored_keys,
)
from support.data import COVER, FIXTURES

from podcast.extensions import db
from podcast.models import Episode, ReplacedMedia

API = "/api/v1/episodes"
VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello and welcome.\n"


@pytest.fixture
def headers(show: Any, api_token: Any) -> dict[str, str]:
    """A producer's token, with the show in place."""
    return api_token("producer")


def post_episode(client: Any, headers: dict[str, str], **fields: Any) -> Any:
    return client.post(
        API, headers=headers, data=episode_form(**fields), content_type="multipart/form-data"
    )


def test_create_with_audio_returns_201_json_and_location(client, headers, storage):
    response = post_episode(
        client,
        headers,
        title="Выборы",
        summary="Who votes, and how.",
        description="Notes with **bold**.",
        status="published",
        season="2",
        number="7",
        episode_type="bonus",
        explicit="true",
        chapters='[{"start": 0, "title": "Intro"}, {"start": 5.5, "title": "Votes"}]',
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/episodes/{body['id']}")
    assert body["slug"] == "vybory"
    assert body["title"] == "Выборы"
    assert body["status"] == "published"
    assert body["publish_at"].endswith(("Z", "+00:00"))
    assert (body["season"], body["number"], body["episode_type"]) == (2, 7, "bonus")
    assert body["explicit"] is True
    assert body["description_html"] == "<p>Notes with <strong>bold</strong>.</p>\n"
    assert body["audio"]["mime_type"] == "audio/mpeg"
    assert body["audio"]["size_bytes"] == (FIXTURES / "majlis-sample-episode.mp3").stat().st_size
    assert body["audio"]["url"].startswith("https://podcast.example.org/media/episodes/")
    assert 17.5 < body["duration_seconds"] < 18.0
    assert body["chapters"] == [{"start": 0.0, "title": "Intro"}, {"start": 5.5, "title": "Votes"}]
    assert body["url"] == "https://podcast.example.org/shows/majlis/episodes/vybory"
    assert body["image"] is None and body["transcript"] is None
    assert len(stored_keys(storage)) == 1
    assert body.pop("warnings") == []  # saves answer warnings for the producer, reads do not
    assert client.get(f"{API}/{body['id']}", headers=headers).get_json() == body


def test_create_with_image_transcript_and_guests_in_order(client, headers, make_guest):
    first, second = make_guest("Dilfuza Kurolova"), make_guest("Janette Akhilgova")
    response = post_episode(
        client,
        headers,
        guests=f"[{second.id}, {first.id}]",
        image=(io.BytesIO(COVER.read_bytes()), "cover.jpg"),
        transcript=(io.BytesIO(VTT), "episode.vtt"),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [g["name"] for g in body["guests"]] == ["Janette Akhilgova", "Dilfuza Kurolova"]
    assert body["guests"][0]["url"].endswith("/guests/janette-akhilgova")
    assert body["image"].endswith(".jpg")
    assert body["transcript"].endswith(".vtt")


def test_guests_as_repeated_form_fields(client, headers, make_guest):
    first, second = make_guest("Ann"), make_guest("Bob")
    response = post_episode(client, headers, guests=[str(second.id), str(first.id)])
    assert response.status_code == 201, response.get_json()
    assert [g["name"] for g in response.get_json()["guests"]] == ["Bob", "Ann"]


def test_create_draft_from_json_without_audio(client, headers):
    response = client.post(API, headers=headers, json={"title": "Draft notes", "season": 1})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["audio"], body["duration_seconds"]) == ("draft", None, None)


def test_second_episode_with_same_title_gets_its_own_slug(client, headers):
    one = post_episode(client, headers, title="Same Title").get_json()
    two = post_episode(client, headers, title="Same Title").get_json()
    assert one["slug"] == "same-title"
    assert two["slug"] != one["slug"] and two["slug"].startswith("same-title")
    assert one["guid"] != two["guid"]


def test_markdown_is_sanitized(client, headers):
    notes = (
        "Intro <script>alert(1)</script>\n\n"
        '<img src=x onerror="alert(2)">\n\n'
        "[click](javascript:alert(3)) and [site](https://example.org) *fine*\n\n"
        '<a href="javascript:alert(4)">raw</a>'
    )
    body = post_episode(client, headers, description=notes).get_json()
    tree = lxml.html.fragment_fromstring(body["description_html"], create_parent="div")
    assert tree.xpath("//script") == [] and tree.xpath("//img") == []
    assert all(not name.startswith("on") for el in tree.iter() for name in el.attrib)
    assert [a.get("href") for a in tree.xpath("//a")] == ["https://example.org"]
    assert tree.xpath("//em")[0].text == "fine" and tree.xpath("//p")[0].text.startswith("Intro")
    assert body["description"] == notes


def test_path_in_uploaded_filename_is_not_used_for_the_key(client, headers, storage, tmp_path):
    response = post_episode(client, headers, audio=audio_part(filename="../../../etc/evil.mp3"))
    assert response.status_code == 201
    [key] = stored_keys(storage)
    guid = response.get_json()["guid"]
    assert key.startswith(f"episodes/{guid}/audio-") and key.endswith(".mp3")
    assert "evil" not in key and ".." not in key
    assert not (tmp_path / "etc").exists()


BAD_INPUTS = [
    pytest.param({"title": ""}, "title", id="empty-title"),
    pytest.param({"title": "x" * 256}, "title", id="long-title"),
    pytest.param({"title": "Bell\x07here"}, "title", id="control-char-title"),
    pytest.param({"publish_at": "next tuesday"}, "publish_at", id="bad-date"),
    pytest.param({"publish_at": "2026-02-30T10:00:00Z"}, "publish_at", id="impossible-date"),
    pytest.param({"season": "0"}, "season", id="season-zero"),
    pytest.param({"number": "-3"}, "number", id="number-negative"),
    pytest.param({"season": "abc"}, "season", id="season-abc"),
    pytest.param({"episode_type": "special"}, "episode_type", id="unknown-type"),
    pytest.param({"status": "live"}, "status", id="unknown-status"),
    pytest.param({"audio": audio_part(FIXTURES / "not-audio.mp3")}, "audio", id="not-audio"),
    pytest.param({"audio": audio_part(FIXTURES / "truncated-4k.mp3")}, "audio", id="truncated"),
    pytest.param({"audio": audio_part(FIXTURES / "empty.mp3")}, "audio", id="empty-audio"),
    pytest.param(
        {"image": (io.BytesIO((FIXTURES / "cover-not-square-600x400.jpg").read_bytes()), "c.jpg")},
        "image",
        id="image-wrong-size",
    ),
    pytest.param(
        {"transcript": (io.BytesIO(b"this is not a transcript"), "t.srt")},
        "transcript",
        id="bad-transcript",
    ),
    pytest.param({"chapters": "not json"}, "chapters", id="bad-chapters"),
    pytest.param({"status": "scheduled"}, "publish_at", id="scheduled-without-date"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_INPUTS)
def test_bad_input_is_422_naming_the_field_and_stores_nothing(
    client, headers, storage, fields, field
):
    # Parametrize values are reused across runs: give each run fresh file streams.
    fields = {
        k: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v
        for k, v in fields.items()
    }
    response = post_episode(client, headers, **fields)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert field in error["fields"], error
    assert error["fields"][field] and error["message"]
    assert episode_count() == 0
    assert asset_count() == 0
    assert stored_keys(storage) == []


def test_wrong_image_size_says_found_and_wanted(client, headers):
    image = (io.BytesIO((FIXTURES / "cover-not-square-600x400.jpg").read_bytes()), "c.jpg")
    message = post_episode(client, headers, image=image).get_json()["error"]["fields"]["image"]
    assert "600×400" in message and "1400×1400" in message


@pytest.mark.parametrize("name", ["opus-32k.opus", "vorbis.ogg"])
def test_other_audio_formats_are_refused_saying_mp3_or_m4a(client, headers, storage, name):
    response = post_episode(client, headers, audio=audio_part(FIXTURES / name))
    assert response.status_code == 422
    message = response.get_json()["error"]["fields"]["audio"]
    assert "MP3" in message and "M4A" in message
    assert episode_count() == 0 and stored_keys(storage) == []


def test_m4a_is_accepted(client, headers):
    response = post_episode(client, headers, audio=audio_part(FIXTURES / "aac-96k.m4a"))
    assert response.status_code == 201
    assert response.get_json()["audio"]["mime_type"] == "audio/x-m4a"


def test_unknown_guest_ids_are_named(client, headers, storage, make_guest):
    known = make_guest("Ann")
    response = post_episode(client, headers, guests=f"[{known.id}, 9001, 9002]")
    assert response.status_code == 422
    message = response.get_json()["error"]["fields"]["guests"]
    assert "9001" in message and "9002" in message
    assert episode_count() == 0 and stored_keys(storage) == []


def test_failure_after_audio_is_stored_removes_the_audio(client, headers, storage):
    # The image is checked after the audio has been stored: the audio must go again.
    image = (io.BytesIO(b"not an image at all"), "cover.jpg")
    response = post_episode(client, headers, image=image)
    assert response.status_code == 422
    assert "image" in response.get_json()["error"]["fields"]
    assert episode_count() == 0 and asset_count() == 0 and stored_keys(storage) == []


JSON_BAD = [
    pytest.param({"title": 5}, "title", id="title-number"),
    pytest.param({"title": "ok", "season": "2"}, "season", id="season-text"),
    pytest.param({"title": "ok", "explicit": "yes"}, "explicit", id="explicit-text"),
    pytest.param({"title": "ok", "guests": ["a"]}, "guests", id="guest-id-text"),
    pytest.param({"title": "ok", "status": "DRAFT"}, "status", id="status-case"),
    pytest.param({"title": "ok", "publish_at": "2026-12-01"}, "publish_at", id="date-only"),
    pytest.param({"title": "ok", "summary": "nul\x00"}, "summary", id="nul-in-text"),
    pytest.param({"title": "ok", "chapters": [{"start": -1, "title": "x"}]}, "chapters", id="ch"),
    pytest.param({"summary": "no title"}, "title", id="missing-title"),
]


@pytest.mark.parametrize(("payload", "field"), JSON_BAD)
def test_json_fields_of_the_wrong_kind_are_422(client, headers, payload, field):
    response = client.post(API, headers=headers, json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert episode_count() == 0


def test_list_is_newest_first_filtered_and_paged(client, headers, make_episode):
    for n in range(5):
        make_episode(f"Episode {n}")
    make_episode("A draft", audio=None, status="draft")
    page = client.get(f"{API}?limit=2", headers=headers).get_json()
    assert [e["title"] for e in page["items"]] == ["A draft", "Episode 4"]
    titles = [e["title"] for e in page["items"]]
    while page["next"]:
        page = client.get(page["next"], headers=headers).get_json()
        titles += [e["title"] for e in page["items"]]
    assert titles == ["A draft"] + [f"Episode {n}" for n in range(4, -1, -1)]
    drafts = client.get(f"{API}?status=draft", headers=headers).get_json()
    assert [e["title"] for e in drafts["items"]] == ["A draft"] and drafts["next"] is None
    default = client.get(API, headers=headers).get_json()
    assert len(default["items"]) == 6 and default["next"] is None


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "status=gone", "cursor=abc", "cursor=-4"]
)
def test_bad_list_parameters_are_422(client, headers, query):
    response = client.get(f"{API}?{query}", headers=headers)
    assert response.status_code == 422
    assert query.split("=")[0] in response.get_json()["error"]["fields"]


def test_list_limit_100_is_allowed(client, headers):
    assert client.get(f"{API}?limit=100", headers=headers).status_code == 200


def test_unknown_ids_are_404(client, headers):
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"title": "x"}} if method == "patch" else {}
        for episode_id in (12345, 0, 2**40):
            response = getattr(client, method)(f"{API}/{episode_id}", headers=headers, **kwargs)
            assert response.status_code == 404, (method, episode_id)
            assert response.get_json()["error"]["code"] == "not_found"


def test_patch_json_changes_only_given_fields_and_keeps_guid(client, headers, make_episode):
    episode = make_episode("Original", summary="Keep me", season=3)
    before = client.get(f"{API}/{episode.id}", headers=headers).get_json()
    response = client.patch(f"{API}/{episode.id}", headers=headers, json={"title": "Renamed"})
    assert response.status_code == 200
    after = response.get_json()
    assert after["title"] == "Renamed"
    assert (after["summary"], after["season"], after["guid"]) == ("Keep me", 3, before["guid"])
    assert after["audio"] == before["audio"]


def test_patch_null_clears_season_and_schedules(client, headers, make_episode):
    episode = make_episode("Later", season=2)
    response = client.patch(
        f"{API}/{episode.id}",
        headers=headers,
        json={"season": None, "status": "scheduled", "publish_at": "2099-01-01T09:00:00+01:00"},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["season"] is None
    assert body["status"] == "scheduled"
    assert body["publish_at"] in ("2099-01-01T08:00:00Z", "2099-01-01T08:00:00+00:00")


def test_patch_multipart_replaces_audio_and_keeps_the_old_object_for_its_grace_period(
    client, headers, make_episode, storage
):
    episode = make_episode("Replace me")
    [old_key] = stored_keys(storage)
    guid = episode.guid
    response = client.patch(
        f"{API}/{episode.id}",
        headers=headers,
        data={"audio": audio_part(FIXTURES / "cbr-128k-stereo.mp3")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["guid"] == guid
    assert 29.9 < body["duration_seconds"] < 30.1
    [new_key] = set(stored_keys(storage)) - {old_key}
    assert body["audio"]["url"].endswith(new_key)
    assert [r.key for r in db.session.scalars(select(ReplacedMedia))] == [old_key]


def test_patch_with_bad_audio_keeps_the_episode_as_it_was(client, headers, make_episode, storage):
    episode = make_episode("Keep")
    keys = stored_keys(storage)
    response = client.patch(
        f"{API}/{episode.id}",
        headers=headers,
        data={"title": "Changed", "audio": audio_part(FIXTURES / "truncated-4k.mp3")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "audio" in response.get_json()["error"]["fields"]
    assert client.get(f"{API}/{episode.id}", headers=headers).get_json()["title"] == "Keep"
    assert stored_keys(storage) == keys


def test_patch_json_null_removes_image(client, headers, storage):
    cover = (io.BytesIO(COVER.read_bytes()), "cover.jpg")
    body = post_episode(client, headers, image=cover).get_json()
    assert body["image"] is not None and len(stored_keys(storage)) == 2
    response = client.patch(f"{API}/{body['id']}", headers=headers, json={"image": None})
    assert response.status_code == 200 and response.get_json()["image"] is None
    # the old feed still names the image: it is kept for the grace period, recorded as replaced
    [image_key] = [k for k in stored_keys(storage) if "/image-" in k]
    assert [r.key for r in db.session.scalars(select(ReplacedMedia))] == [image_key]


def test_publishing_a_draft_without_audio_is_refused(client, headers):
    draft = client.post(API, headers=headers, json={"title": "No audio yet"}).get_json()
    response = client.patch(f"{API}/{draft['id']}", headers=headers, json={"status": "published"})
    assert response.status_code == 422
    assert "audio" in response.get_json()["error"]["fields"]


def test_delete_removes_row_and_objects(client, headers, make_episode, storage):
    episode = make_episode("Gone soon")
    assert stored_keys(storage)
    response = client.delete(f"{API}/{episode.id}", headers=headers)
    assert response.status_code == 204 and response.data == b""
    assert episode_count() == 0 and stored_keys(storage) == []
    assert client.get(f"{API}/{episode.id}", headers=headers).status_code == 404


def test_create_without_a_show_is_409(client, api_token, storage):
    headers = api_token("producer")
    response = client.post(
        API, headers=headers, data=episode_form(), content_type="multipart/form-data"
    )
    assert response.status_code == 409
    assert stored_keys(storage) == []


def test_episode_rows_are_the_ones_the_api_reports(client, headers, app):
    from podcast.extensions import db

    body = post_episode(client, headers).get_json()
    row = db.session.get(Episode, body["id"])
    assert row is not None and row.guid == body["guid"] and row.audio.key in body["audio"]["url"]
