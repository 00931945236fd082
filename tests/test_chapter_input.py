"""Chapter starts that cannot be played are refused on every surface, with the field named."""

from __future__ import annotations

import io
import json
import shutil
from typing import Any

import pytest
from sqlalchemy import func, select
from support.api import episode_form
from support.data import SAMPLE_MP3

from podcast import PROJECT_ROOT
from podcast.extensions import db
from podcast.models import Episode
from podcast.services.episode_input import parse_episode_input

API = "/api/v1/episodes"
# The sample MP3 lasts 17.7 s.
UNPLAYABLE = [
    pytest.param(1e308, id="1e308"),
    pytest.param(-1, id="negative"),
    pytest.param(18.5, id="past-the-end"),
    pytest.param(2_000_000, id="absurd"),
]


def chapters(start: Any) -> list[dict[str, Any]]:
    """An intro and one chapter at `start`."""
    return [{"start": 0, "title": "Intro"}, {"start": start, "title": "Later"}]


def episodes() -> int:
    """Episode rows, read fresh."""
    db.session.expire_all()
    return db.session.scalar(select(func.count(Episode.id))) or 0


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_the_parser_refuses_non_finite_starts(text):
    from podcast.errors import ValidationError

    raw = {"title": "x", "chapters": f'[{{"start": {text}, "title": "A"}}]'}
    with pytest.raises(ValidationError) as caught:
        parse_episode_input(raw, partial=False, timezone="UTC")
    assert "chapters" in caught.value.fields
    with pytest.raises(ValidationError):
        parse_episode_input({"title": "x", "chapters": [{"start": float(text), "title": "A"}]},
                            partial=False, timezone="UTC")  # fmt: skip


@pytest.mark.parametrize("start", UNPLAYABLE)
def test_api_multipart_refuses_unplayable_starts(client, show, api_token, storage, start):
    response = client.post(
        API,
        headers=api_token(),
        data=episode_form(status="published", chapters=json.dumps(chapters(start))),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.get_json()
    assert "chapters" in response.get_json()["error"]["fields"]
    assert episodes() == 0 and list(storage.iter_keys()) == []


@pytest.mark.parametrize("start", UNPLAYABLE)
def test_api_json_patch_refuses_unplayable_starts(client, api_token, make_episode, start):
    episode = make_episode()
    response = client.patch(
        f"{API}/{episode.id}", headers=api_token(), json={"chapters": chapters(start)}
    )
    assert response.status_code == 422, response.get_json()
    assert "chapters" in response.get_json()["error"]["fields"]
    db.session.expire_all()
    assert db.session.get(Episode, episode.id).chapters is None
    assert client.get("/feed.xml").status_code == 200


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e309"])
def test_api_json_refuses_non_finite_starts_on_the_field(client, api_token, make_episode, text):
    episode = make_episode()
    body = '{"chapters": [{"start": 0, "title": "Intro"}, {"start": START, "title": "B"}]}'
    body = body.replace("START", text)
    response = client.patch(
        f"{API}/{episode.id}", headers=api_token(), data=body, content_type="application/json"
    )
    assert response.status_code == 422, response.get_json()
    message = response.get_json()["error"]["fields"]["chapters"]
    assert message == "Each chapter needs a start of 0 or more seconds."
    db.session.expire_all()
    assert db.session.get(Episode, episode.id).chapters is None


def test_api_multipart_names_a_non_finite_start_as_json_does(client, show, api_token, storage):
    response = client.post(
        API,
        headers=api_token(),
        data=episode_form(status="published", chapters='[{"start": 1e309, "title": "A"}]'),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.get_json()
    message = response.get_json()["error"]["fields"]["chapters"]
    assert message == "Each chapter needs a start of 0 or more seconds."
    assert episodes() == 0


@pytest.mark.parametrize("body", ['{"season": NaN}', '{"title": Infinity}', '{"x": [1e309]}'])
def test_api_json_elsewhere_non_finite_numbers_stay_a_400(client, api_token, make_episode, body):
    episode = make_episode()
    response = client.patch(
        f"{API}/{episode.id}", headers=api_token(), data=body, content_type="application/json"
    )
    assert response.status_code == 400, response.get_json()
    assert "is not a number JSON allows" in response.get_json()["error"]["message"]


def test_api_accepts_starts_inside_the_audio(client, api_token, make_episode):
    episode = make_episode()
    response = client.patch(
        f"{API}/{episode.id}", headers=api_token(), json={"chapters": chapters(12.5)}
    )
    assert response.status_code == 200
    assert response.get_json()["chapters"][1] == {"start": 12.5, "title": "Later"}


def test_replacing_audio_with_a_shorter_file_refuses_chapters_past_its_end(
    client, api_token, make_episode, storage
):
    from support.data import FIXTURES

    episode = make_episode(audio=FIXTURES / "cbr-128k-stereo.mp3", chapters=chapters(25))
    keys = sorted(storage.iter_keys())
    response = client.patch(
        f"{API}/{episode.id}",
        headers=api_token(),
        data={"audio": (io.BytesIO(SAMPLE_MP3.read_bytes()), "short.mp3")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "after the end of the audio" in response.get_json()["error"]["fields"]["chapters"]
    assert sorted(storage.iter_keys()) == keys  # the new file was not kept


def test_admin_form_takes_chapters_one_a_line(client, login, no_csrf, show):
    login()
    response = client.post(
        "/admin/episodes/new",
        data={
            "title": "With chapters",
            "chapters": "0:00 Intro\n0:12.5 The report",
            "audio": (io.BytesIO(SAMPLE_MP3.read_bytes()), "e.mp3"),
            "action": "publish",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    episode = db.session.scalar(select(Episode))
    assert episode.chapters == [
        {"start": 0.0, "title": "Intro"},
        {"start": 12.5, "title": "The report"},
    ]
    form = client.get(f"/admin/episodes/{episode.id}/edit").get_data(as_text=True)
    assert "0:12.5 The report" in form


@pytest.mark.parametrize("text", ["0:00 Intro\n99:00 Too late", '[{"start": 1e308, "title": "A"}]'])
def test_admin_form_refuses_unplayable_starts_next_to_the_field(
    client, login, no_csrf, show, storage, text
):
    login()
    response = client.post(
        "/admin/episodes/new",
        data={
            "title": "Bad chapters",
            "chapters": text,
            "audio": (io.BytesIO(SAMPLE_MP3.read_bytes()), "e.mp3"),
            "action": "publish",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="chapters-error"' in page
    assert episodes() == 0


def test_seed_loader_refuses_unplayable_starts(runner, tmp_path):
    folder = tmp_path / "episodes"
    shutil.copytree(PROJECT_ROOT / "episodes", folder)
    [episode_md] = folder.glob("*/episode.md")
    text = episode_md.read_text(encoding="utf-8")
    episode_md.write_text(text.replace("{ start = 12, ", "{ start = 1e308, "), encoding="utf-8")
    result = runner.invoke(args=["load-episodes", str(folder)])
    assert "field 'chapters'" in result.output
    assert episodes() == 1  # the Russian sample show's episode; Majlis's broken one is not there
    titles = db.session.scalars(select(Episode.title)).all()
    assert not [t for t in titles if t.startswith("Silence and Impunity")]


def test_admin_form_names_each_refused_row_in_the_summary(client, login, no_csrf, show, storage):
    login()
    response = client.post(
        "/admin/episodes/new",
        data={
            "title": "Rows",
            "chapters": "0:03 Late intro\n0:02 Backwards\nno start here\n0:30 Past the end",
            "audio": (io.BytesIO(SAMPLE_MP3.read_bytes()), "e.mp3"),
            "action": "publish",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for row, why in [
        (1, "The first chapter starts at 0:00."),
        (2, "put the chapters in order"),
        (3, "then an optional link"),
        (4, "after the end of the audio"),
    ]:
        assert f"Chapters, row {row}: " in page
        assert why in page
    assert episodes() == 0


def test_a_chapter_link_reaches_the_chapters_json(client, login, no_csrf, show, storage):
    login()
    response = client.post(
        "/admin/episodes/new",
        data={
            "title": "Linked",
            "chapters": "0:00 Intro\n0:05 The report https://example.org/report",
            "audio": (io.BytesIO(SAMPLE_MP3.read_bytes()), "e.mp3"),
            "action": "publish",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    episode = db.session.scalar(select(Episode))
    chapters_json = client.get(f"/shows/{show.handle}/episodes/{episode.slug}/chapters.json")
    document = json.loads(chapters_json.data)
    assert document["chapters"][1] == {
        "startTime": 5.0,
        "title": "The report",
        "url": "https://example.org/report",
    }
    form = client.get(f"/admin/episodes/{episode.id}/edit").get_data(as_text=True)
    assert "0:05 The report https://example.org/report" in form
