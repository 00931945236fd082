"""Dates no page can show: refused outside 1900-2200 on every surface; stored ones still render."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from lxml import html as lxml_html
from support.api import episode_form, seed_show_and_token

from podcast.extensions import db
from podcast.models import EpisodeStatus
from podcast.services.queries import primary_show

OUT_OF_RANGE = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:30:00+01:00",
    "1899-12-31T23:59:59Z",
    "2201-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-05:00",
]


def _refused(response) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    message = response.get_json()["error"]["fields"]["publish_at"]
    assert "1900" in message and "2200" in message, message


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
def test_api_refuses_dates_outside_1900_to_2200(app, moment) -> None:
    headers = seed_show_and_token()
    client = app.test_client()
    refused = client.post("/api/v1/episodes", headers=headers, data=episode_form(publish_at=moment))
    _refused(refused)
    published = episode_form(status="published")
    created = client.post("/api/v1/episodes", headers=headers, data=published)
    path = f"/api/v1/episodes/{created.get_json()['id']}"
    _refused(client.patch(path, headers=headers, json={"publish_at": moment}))
    assert client.get(path, headers=headers).get_json()["publish_at"] is not None


def test_api_takes_dates_inside_the_range(app) -> None:
    headers = seed_show_and_token()
    client = app.test_client()
    for moment in ("1900-01-01T00:00:00Z", "2200-12-31T23:59:59Z"):
        response = client.post(
            "/api/v1/episodes", headers=headers, data=episode_form(publish_at=moment)
        )
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["publish_at"] == moment


@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "9999-12-31T23:59", "1899-06-01T12:00"])
def test_admin_form_refuses_dates_outside_the_range(client, login, no_csrf, show, typed) -> None:
    login()
    response = client.post(
        "/admin/episodes/new",
        data={"title": "Ancient", "publish_at": typed, "action": "draft"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    message = doc.get_element_by_id("publish_at-error").text_content()
    assert "1900" in message and "2200" in message
    assert doc.get_element_by_id("publish_at").get("value") == typed


def test_seed_loader_reports_a_date_outside_the_range(app, runner, show, tmp_path) -> None:
    folder = tmp_path / "seed" / "ancient"
    folder.mkdir(parents=True)
    (folder / "episode.md").write_text(
        '+++\ntitle = "Ancient"\nstatus = "published"\npublish_at = 0001-01-01T00:00:00Z\n'
        'audio = "a.mp3"\n+++\nNotes.\n',
        encoding="utf-8",
    )
    result = runner.invoke(args=["load-episodes", str(tmp_path / "seed")])
    assert result.exit_code == 1
    assert "publish_at" in result.output and "1900" in result.output, result.output


def test_backup_import_refuses_a_date_outside_the_range(app, runner, tmp_path) -> None:
    assert runner.invoke(args=["export", str(tmp_path / "backup")]).exit_code == 0
    path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["tables"]["show"] = [{"id": 1, "created_at": "0001-01-01T00:00:00+00:00"}]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    result = runner.invoke(args=["import", str(tmp_path / "backup")])
    assert result.exit_code == 1
    assert "created_at" in result.output and "1900" in result.output, result.output
    assert primary_show(db.session) is None


# Rows stored before the rule: each shown in a time zone that moves it out of Python's range.
STORED = [
    (datetime(1, 1, 1, 0, 30, tzinfo=UTC), "America/New_York", EpisodeStatus.PUBLISHED),
    (datetime(9999, 12, 31, 23, 30, tzinfo=UTC), "Asia/Tashkent", EpisodeStatus.SCHEDULED),
]


@pytest.mark.parametrize(("moment", "zone", "status"), STORED, ids=["year-1", "year-9999"])
def test_pages_render_dates_already_stored_out_of_range(
    client, login, make_episode, moment, zone, status
) -> None:
    episode = make_episode(title="Ancient history")
    episode.publish_at, episode.status = moment, status
    episode.show.timezone = zone
    db.session.commit()
    login("admin")
    paths = ["/admin/", f"/admin/episodes/{episode.id}/edit", "/", "/?q=ancient", "/feed.xml"]
    if status == EpisodeStatus.PUBLISHED:
        paths += [f"/shows/majlis/episodes/{episode.slug}", "/sitemap.xml"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    assert "Ancient history" in client.get("/admin/").get_data(as_text=True)
    if status == EpisodeStatus.PUBLISHED:
        assert "Ancient history" in client.get("/?q=ancient").get_data(as_text=True)
        page = client.get(f"/shows/majlis/episodes/{episode.slug}")
        assert "Ancient history" in page.get_data(as_text=True)
    headers = {"Authorization": "Bearer " + _token()}
    api = client.get(f"/api/v1/episodes/{episode.id}", headers=headers)
    assert api.status_code == 200 and api.get_json()["publish_at"].startswith(f"{moment.year:04d}")


def _token() -> str:
    from podcast.models import User
    from podcast.services.accounts import create_token

    user = db.session.query(User).first()
    return create_token(db.session, user)
