"""The feed over HTTP: validators, 304, gzip, HEAD, caching across app instances, linked files."""

from __future__ import annotations

import gzip
import io
import json
from datetime import timedelta

import pytest
from lxml import etree
from support.app import make_app
from werkzeug.http import http_date

from podcast.extensions import db
from podcast.models import utcnow
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, update_episode
from podcast.services.shows import update_show
from podcast.services.uploads import Upload

VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.500\n<v Bruce Pannier>Welcome to Majlis.\n"


def renders(app) -> int:
    """How many times this app rendered the feed."""
    return app.extensions["podcast.feed.cache"].renders


def enclosures(body: bytes) -> list[tuple[str, int, str]]:
    """(url, length, type) of each item's enclosure."""
    root = etree.fromstring(body)
    return [(e.get("url"), int(e.get("length")), e.get("type")) for e in root.iter("enclosure")]


@pytest.fixture
def episode(make_episode):
    """One published episode."""
    return make_episode("Silence and Impunity")


def test_headers_and_conditional_requests(client, app, episode):
    response = client.get("/feed.xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "Accept-Encoding" in response.headers["Vary"]
    etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
    assert etag.startswith('"') and modified
    rendered = renders(app)

    again = client.get("/feed.xml", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get("/feed.xml", headers={"If-Modified-Since": modified}).status_code == 304
    older = http_date(utcnow() - timedelta(days=30))
    assert client.get("/feed.xml", headers={"If-Modified-Since": older}).status_code == 200
    stale = client.get(
        "/feed.xml", headers={"If-None-Match": '"other"', "If-Modified-Since": modified}
    )
    assert stale.status_code == 200  # If-None-Match decides when both are sent
    assert renders(app) == rendered  # conditional and repeated requests never re-render


def test_head_gives_the_headers_of_get(client, episode):
    get = client.get("/feed.xml")
    head = client.head("/feed.xml")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert head.headers["ETag"] == get.headers["ETag"]


def test_gzip_when_asked(client, episode):
    plain = client.get("/feed.xml")
    zipped = client.get("/feed.xml", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    assert "Content-Encoding" not in plain.headers
    refused = client.get("/feed.xml", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    revalidated = client.get(
        "/feed.xml",
        headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]},
    )
    assert revalidated.status_code == 304


def test_an_edit_changes_the_feed_once(client, app, episode, storage):
    before = client.get("/feed.xml")
    count = renders(app)
    data = parse_episode_input({"title": "Silence, Again"}, partial=True, timezone="UTC")
    update_episode(db.session, storage, episode, data, max_bytes=2**30)
    after = client.get("/feed.xml", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert b"Silence, Again" in after.data
    assert after.headers["ETag"] != before.headers["ETag"]
    client.get("/feed.xml")
    client.get("/feed.xml")
    assert renders(app) == count + 1


def test_cache_expires_when_the_next_scheduled_episode_is_due(client, make_episode, episode):
    make_episode(
        "Soon", status="scheduled", publish_at=(utcnow() + timedelta(seconds=120)).isoformat()
    )
    response = client.get("/feed.xml")
    max_age = int(response.headers["Cache-Control"].rsplit("=", 1)[1])
    assert 0 < max_age <= 120
    assert b"Soon" not in response.data


def test_two_app_instances_serve_the_same_bytes(app, client, episode, tmp_path, show):
    other = make_app(
        tmp_path / "second",
        app.config["SQLALCHEMY_DATABASE_URI"],
        STORAGE_URL=app.config["PODCAST_STORAGE_URL"],
    )
    try:
        other_client = other.test_client()
        first, second = client.get("/feed.xml"), other_client.get("/feed.xml")
        assert first.data == second.data
        assert first.headers["ETag"] == second.headers["ETag"]
        assert first.headers["Last-Modified"] == second.headers["Last-Modified"]
        # An edit made through one instance shows on the other at once: no signal, no expiry.
        update_show(db.session, show, {"title": "Majlis Weekly"})
        first, second = client.get("/feed.xml"), other_client.get("/feed.xml")
        assert b"<title>Majlis Weekly</title>" in second.data
        assert first.data == second.data
        assert first.headers["ETag"] == second.headers["ETag"]
    finally:
        with other.app_context():
            db.engine.dispose()


def test_no_show_no_feed(client):
    assert client.get("/feed.xml").status_code == 404


def test_enclosure_answers_head_and_byte_ranges(client, episode):
    [(url, length, mime)] = enclosures(client.get("/feed.xml").data)
    path = url.removeprefix("https://podcast.example.org")
    head = client.head(path)
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == length
    assert head.headers["Content-Type"] == mime
    ranged = client.get(path, headers={"Range": "bytes=0-1"})
    assert ranged.status_code == 206
    assert ranged.headers["Content-Range"] == f"bytes 0-1/{length}"
    assert len(ranged.data) == 2


def test_chapters_json(client, make_episode):
    episode = make_episode(
        "With chapters",
        chapters='[{"start": 0, "title": "Intro"}, {"start": 11.5, "title": "Итоги"}]',
    )
    response = client.get(f"/episodes/{episode.slug}/chapters.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json+chapters"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = json.loads(response.data)
    assert document == {
        "version": "1.2.0",
        "chapters": [{"startTime": 0.0, "title": "Intro"}, {"startTime": 11.5, "title": "Итоги"}],
        "title": "With chapters",
        "podcastName": "Majlis",
    }
    assert client.get("/episodes/nope/chapters.json").status_code == 404


def test_transcript_vtt(client, episode, storage):
    assert client.get(f"/episodes/{episode.slug}/transcript.vtt").status_code == 404
    files = Attachments(transcript=Upload(io.BytesIO(VTT), "t.vtt"))
    data = parse_episode_input({}, partial=True, timezone="UTC")
    update_episode(db.session, storage, episode, data, files, max_bytes=2**30)
    response = client.get(f"/episodes/{episode.slug}/transcript.vtt")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/vtt")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.data.startswith(b"WEBVTT")
    assert b"Welcome to Majlis." in response.data
    assert int(response.headers["Content-Length"]) == len(response.data)
    head = client.head(f"/episodes/{episode.slug}/transcript.vtt")
    assert head.status_code == 200 and head.data == b""


@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_files_of_non_public_episodes_are_404(client, make_episode, storage, status):
    publish_at = (utcnow() + timedelta(days=3)).isoformat() if status == "scheduled" else ""
    hidden = make_episode(
        "Hidden", status=status, publish_at=publish_at, chapters='[{"start": 0, "title": "A"}]'
    )
    files = Attachments(transcript=Upload(io.BytesIO(VTT), "t.vtt"))
    data = parse_episode_input({}, partial=True, timezone="UTC")
    update_episode(db.session, storage, hidden, data, files, max_bytes=2**30)
    assert client.get(f"/episodes/{hidden.slug}/chapters.json").status_code == 404
    assert client.get(f"/episodes/{hidden.slug}/transcript.vtt").status_code == 404


@pytest.mark.parametrize("counting", [True, False], ids=["analytics", "no-analytics"])
@pytest.mark.parametrize("via", ["proxy", "bucket"])
def test_s3_enclosures_answer_head_and_ranges(app, tmp_path, s3_endpoint, s3_bucket, via, counting):
    import requests
    from support.data import SAMPLE_MP3, SHOW_SETTINGS
    from support.s3 import s3_client

    from podcast.services.episodes import create_episode
    from podcast.services.shows import create_show

    settings = {"STORAGE_URL": f"s3://{s3_bucket}/media", "S3_ENDPOINT_URL": s3_endpoint}
    if via == "bucket":  # a public bucket (or a CDN in front of it) serves the media
        settings["MEDIA_BASE_URL"] = f"{s3_endpoint}/{s3_bucket}"
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{s3_bucket}/*",
                }
            ],
        }
        s3_client(s3_endpoint).put_bucket_policy(Bucket=s3_bucket, Policy=json.dumps(policy))
    settings["ANALYTICS"] = counting
    s3_app = make_app(tmp_path / "s3", app.config["SQLALCHEMY_DATABASE_URI"], **settings)
    try:
        with s3_app.app_context():
            show = create_show(db.session, dict(SHOW_SETTINGS), "https://podcast.example.org/f")
            data = parse_episode_input(
                {"title": "On S3", "status": "published"}, partial=False, timezone="UTC"
            )
            files = Attachments(audio=Upload(io.BytesIO(SAMPLE_MP3.read_bytes()), "a.mp3"))
            storage = s3_app.extensions["podcast.storage"]
            create_episode(db.session, storage, show, data, files, max_bytes=2**30)
        client = s3_app.test_client()
        [(url, length, mime)] = enclosures(client.get("/feed.xml").data)
        assert length == SAMPLE_MP3.stat().st_size
        if counting:  # the counting route: it serves through the proxy, or redirects
            assert url.startswith("https://podcast.example.org/d/")
            path = url.removeprefix("https://podcast.example.org")
            if via == "bucket":
                redirected = client.get(path, headers={"Range": "bytes=0-1"})
                assert redirected.status_code == 302
                assert redirected.headers["Cache-Control"] == "private, no-cache"
                url = redirected.headers["Location"]
        if via == "proxy":
            if not counting:
                assert url.startswith("https://podcast.example.org/media/")
            path = url.removeprefix("https://podcast.example.org")
            head = client.head(path)
            assert head.status_code == 200
            assert int(head.headers["Content-Length"]) == length
            assert head.headers["Content-Type"] == mime
            ranged = client.get(path, headers={"Range": "bytes=0-1"})
            ranged_body = ranged.data
        else:
            # (moto answers an anonymous HEAD with 403 despite the policy; S3 grants it with
            # s3:GetObject, so only the range request is checked against the bucket here.)
            assert url.startswith(f"{s3_endpoint}/{s3_bucket}/media/")
            ranged = requests.get(url, headers={"Range": "bytes=0-1"}, timeout=10)
            ranged_body = ranged.content
        body_text = ranged_body[:300] if ranged.status_code != 206 else b""
        assert ranged.status_code == 206, (via, ranged.status_code, dict(ranged.headers), body_text)
        assert ranged.headers["Content-Range"] == f"bytes 0-1/{length}"
        assert ranged_body == SAMPLE_MP3.read_bytes()[:2]
    finally:
        with s3_app.app_context():
            db.engine.dispose()


def test_feed_does_not_vary_on_the_cookie_so_a_cdn_can_cache_it(client, make_episode):
    make_episode()
    response = client.get("/feed.xml")
    assert "cookie" not in response.headers.get("Vary", "").lower()
    assert "accept-encoding" in response.headers.get("Vary", "").lower()
