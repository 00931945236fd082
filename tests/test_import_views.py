"""Importing from the admin form, the API and the command line; the switch-over guide."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support.data import SAMPLE_MP3
from support.import_sources import MediaServer, Served, hand_fetcher, source_episode, source_show

from podcast.extensions import db
from podcast.imports import fetcher as fetching
from podcast.imports.records import FeedImport, FeedImportItem
from podcast.jobs import Job, run_queued
from podcast.models import Episode, Show

FEED = "https://old-host.example.com/feed.xml"


@pytest.fixture
def media() -> Iterator[MediaServer]:
    server = MediaServer().start()
    server.files["/1.mp3"] = Served(SAMPLE_MP3.read_bytes())
    yield server
    server.stop()


@pytest.fixture
def source(media: MediaServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The source feed every surface reads (the hand fetcher stands in for the network)."""
    made = source_show(
        FEED,
        [
            source_episode(1, media.url("/1.mp3"), length=SAMPLE_MP3.stat().st_size),
            source_episode(2, media.url("/1.mp3"), length=1_000_000, guid="second"),
        ],
    )
    monkeypatch.setattr(fetching, "default_fetcher", lambda: hand_fetcher(made))
    return made


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_the_api_answers_202_with_the_job_which_imports_the_feed(
    app: Flask, client: FlaskClient, source: Any, api_token: Any
) -> None:
    headers = api_token("admin")
    response = client.post("/api/v1/imports", json={"url": FEED}, headers=headers)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["kind"] == "feed_import" and job["state"] == "queued"
    assert response.headers["Location"].endswith(f"/api/v1/jobs/{job['id']}")
    run_queued()
    done = client.get(f"/api/v1/jobs/{job['id']}", headers=headers).get_json()
    assert done["state"] == "done", done
    assert done["result"]["imported"] == 2
    assert _count(Episode) == 2
    # Again: a sync, nothing duplicated.
    again = client.post("/api/v1/imports", json={"url": FEED}, headers=headers).get_json()
    run_queued()
    assert (
        client.get(f"/api/v1/jobs/{again['id']}", headers=headers).get_json()["result"]["unchanged"]
        == 2
    )
    assert _count(Episode) == 2 and _count(Show) == 1


def test_only_admins_import_and_a_bad_url_is_a_422(
    app: Flask, client: FlaskClient, source: Any, api_token: Any
) -> None:
    producer = client.post("/api/v1/imports", json={"url": FEED}, headers=api_token())
    assert producer.status_code == 403
    bad = client.post("/api/v1/imports", json={"url": "ftp://x"}, headers=api_token("admin"))
    assert bad.status_code == 422
    assert _count(Job) == 0 and _count(FeedImport) == 0


def test_a_locked_feed_fails_its_job_with_the_sentence_without_retrying(
    app: Flask, client: FlaskClient, source: Any, api_token: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source.locked, source.locked_owner_email = True, "owner@old-host.example.com"
    headers = api_token("admin")
    job = client.post("/api/v1/imports", json={"url": FEED}, headers=headers).get_json()
    run_queued()
    failed = client.get(f"/api/v1/jobs/{job['id']}", headers=headers).get_json()
    assert failed["state"] == "failed" and "locked" in failed["error"]
    assert _count(Episode) == 0
    body = {"url": FEED, "override_email": "owner@old-host.example.com"}
    job = client.post("/api/v1/imports", json=body, headers=headers).get_json()
    run_queued()
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=headers).get_json()["state"] == "done"
    recorded = db.session.scalar(select(FeedImport).where(FeedImport.job_id == job["id"]))
    assert recorded is not None and recorded.locked_override_at is not None
    assert recorded.locked_override_actor.startswith("api-admin-")


def _csrf(client: FlaskClient) -> str:
    page = lxml.html.fromstring(client.get("/admin/import").data)
    return str(page.xpath("//input[@name='csrf_token']/@value")[0])


def test_the_admin_form_previews_then_starts_the_job(
    app: Flask, client: FlaskClient, source: Any, login: Any
) -> None:
    login("admin")
    token = _csrf(client)
    refused = client.post("/admin/import", data={"url": FEED, "step": "preview"})
    assert refused.status_code in (400, 403) or b"expired" in refused.data
    page = client.post("/admin/import", data={"url": FEED, "step": "preview", "csrf_token": token})
    assert page.status_code == 200
    html = lxml.html.fromstring(page.data)
    assert html.xpath("string(//dd[@class='import-title'])") == "Old Host Show"
    assert html.xpath("string(//dd[@class='import-count'])").startswith("2 (2 new")
    assert html.xpath("string(//dd[@class='import-size'])").strip() == "1.2 MB"
    assert _count(Show) == 0 and _count(FeedImportItem) == 0  # a preview writes nothing
    started = client.post("/admin/import", data={"url": FEED, "step": "start", "csrf_token": token})
    assert started.status_code == 302 and started.headers["Location"].endswith("/admin/jobs")
    run_queued()
    assert _count(Episode) == 2
    show = db.session.scalar(select(Show))
    assert show is not None
    settings = lxml.html.fromstring(client.get("/admin/show").data)
    guide = settings.xpath("string(//section[@class='switch-over'])")
    assert FEED in guide and "301" in guide and "itunes:new-feed-url" in guide
    assert show.podcast_guid in guide


def test_producers_do_not_reach_the_import_page(
    app: Flask, client: FlaskClient, show: Show, login: Any
) -> None:
    login("producer")
    assert client.get("/admin/import").status_code == 403


def test_the_command_line_dry_run_prints_the_preview_and_writes_nothing(
    app: Flask, source: Any
) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-feed", FEED, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Show: Old Host Show (a new show)" in result.output
    assert "Episodes: 2 (2 new, 0 changed, 0 unchanged)" in result.output
    assert _count(Show) == 0 and _count(FeedImport) == 0
    result = runner.invoke(args=["import-feed", FEED, "--show", "oldhost"])
    assert result.exit_code == 0, result.output
    assert "2 imported" in result.output
    assert db.session.scalar(select(Show.handle)) == "oldhost"
