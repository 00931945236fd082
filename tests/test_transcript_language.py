"""An episode's transcript may be in another language than the show: the feed says which."""

from __future__ import annotations

import io
import shutil

import pytest
from lxml import etree
from lxml import html as lxml_html
from support.api import episode_form

from podcast import PROJECT_ROOT
from podcast.extensions import db
from podcast.models import Episode
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, update_episode
from podcast.services.uploads import Upload

PODCAST = "{https://podcastindex.org/namespace/1.0}"
API = "/api/v1/episodes"
VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n\xd0\x97\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2\xd1\x81\xd1\x82\xd0\xb2\xd1\x83\xd0\xb9\xd1\x82\xd0\xb5\n"  # noqa: E501
BAD = "English (UK)"


def feed_language(client) -> str | None:
    """podcast:transcript's language on the feed's first item."""
    root = etree.fromstring(client.get("/feed.xml").data)
    return root.find(f".//item/{PODCAST}transcript").get("language")


@pytest.fixture
def episode(make_episode, storage) -> Episode:
    """A published episode with a transcript, in a show whose language is en."""
    episode = make_episode()
    data = parse_episode_input({}, partial=True, timezone="UTC")
    files = Attachments(transcript=Upload(io.BytesIO(VTT), "t.vtt"))
    return update_episode(db.session, storage, episode, data, files, max_bytes=2**30)


def stored(episode: Episode) -> str | None:
    """The episode's transcript language, read fresh."""
    db.session.expire_all()
    return db.session.get(Episode, episode.id).transcript_language


def test_api_json_sets_and_clears_the_transcript_language(client, api_token, episode):
    headers = api_token()
    assert feed_language(client) == "en"
    response = client.patch(f"{API}/{episode.id}", headers=headers, json={"title": "Renamed"})
    assert response.get_json()["transcript_language"] is None
    response = client.patch(
        f"{API}/{episode.id}", headers=headers, json={"transcript_language": "uz-Cyrl"}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["transcript_language"] == "uz-Cyrl"
    assert feed_language(client) == "uz-Cyrl"
    page = client.get(f"/shows/majlis/episodes/{episode.slug}").get_data(as_text=True)
    assert '<div class="transcript__body" lang="uz-Cyrl">' in page  # screen readers switch voice
    client.patch(f"{API}/{episode.id}", headers=headers, json={"title": "Again"})
    assert stored(episode) == "uz-Cyrl"  # a PATCH without the field keeps it
    for empty in ("", None):
        client.patch(f"{API}/{episode.id}", headers=headers, json={"transcript_language": "ru"})
        response = client.patch(
            f"{API}/{episode.id}", headers=headers, json={"transcript_language": empty}
        )
        assert response.status_code == 200 and stored(episode) is None
        assert feed_language(client) == "en"


@pytest.mark.parametrize("value", [BAD, "r", "ru-", "ru_RU", "x" * 17, 7])
def test_api_json_refuses_a_language_that_is_not_a_tag(client, api_token, episode, value):
    response = client.patch(
        f"{API}/{episode.id}", headers=api_token(), json={"transcript_language": value}
    )
    assert response.status_code == 422
    assert "transcript_language" in response.get_json()["error"]["fields"]
    assert stored(episode) is None


def test_api_multipart_create_takes_the_transcript_language(client, show, api_token):
    form = episode_form(
        status="published", transcript_language="ru", transcript=(io.BytesIO(VTT), "t.vtt")
    )
    response = client.post(API, headers=api_token(), data=form, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["transcript_language"] == "ru"
    assert feed_language(client) == "ru"
    bad = episode_form(transcript_language=BAD)
    response = client.post(API, headers=api_token(), data=bad, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "transcript_language" in response.get_json()["error"]["fields"]


def test_openapi_documents_the_field(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("Episode", "EpisodePatch", "EpisodeCreateForm", "EpisodePatchForm"):
        assert "transcript_language" in schemas[name]["properties"], name


def test_admin_form_sets_the_language_and_names_a_bad_one(client, login, no_csrf, episode):
    login()
    url = f"/admin/episodes/{episode.id}/edit"
    fields = {"title": episode.title, "action": "publish"}
    response = client.post(url, data={**fields, "transcript_language": BAD})
    assert response.status_code == 422
    assert 'id="transcript_language-error"' in response.get_data(as_text=True)
    assert stored(episode) is None
    response = client.post(url, data={**fields, "transcript_language": "kk"})
    assert response.status_code == 302
    assert stored(episode) == "kk" and feed_language(client) == "kk"
    assert 'value="kk"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data={**fields, "transcript_language": ""}).status_code == 302
    assert stored(episode) is None and feed_language(client) == "en"
    form = lxml_html.fromstring(client.get(url).get_data(as_text=True))
    assert form.get_element_by_id("transcript_language").get("value", "") == ""


@pytest.mark.parametrize(("value", "loaded"), [('"tg"', True), (f'"{BAD}"', False)])
def test_seed_loader_reads_the_transcript_language(runner, tmp_path, value, loaded):
    folder = tmp_path / "episodes"
    shutil.copytree(PROJECT_ROOT / "episodes", folder)
    shutil.rmtree(folder / "shows")  # Majlis alone: its one episode is the one under test
    [episode_md] = folder.glob("*/episode.md")
    text = episode_md.read_text(encoding="utf-8")
    episode_md.write_text(
        text.replace("explicit = false\n", f"explicit = false\ntranscript_language = {value}\n"),
        encoding="utf-8",
    )
    result = runner.invoke(args=["load-episodes", str(folder)])
    db.session.expire_all()
    languages = [e.transcript_language for e in db.session.query(Episode)]
    if loaded:
        assert languages == ["tg"], result.output
    else:
        assert languages == [] and "field 'transcript_language'" in result.output
