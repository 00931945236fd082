"""The round trip: episodes published here, this service's own feed read over HTTP by the real
reader, imported into an empty second instance; every field compared."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from support.app import make_app
from support.data import COVER, FIXTURES, SAMPLE_MP3, SHOW_SETTINGS
from werkzeug.serving import make_server

from podcast.extensions import db
from podcast.imports.apply import run_import
from podcast.imports.fetcher import default_fetcher
from podcast.imports.media import ImportOptions
from podcast.imports.records import FeedImport
from podcast.models import Episode, Show, utcnow
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, create_episode
from podcast.services.guests import create_guest, parse_guest_input
from podcast.services.markup import html_text, plain_text, render_markdown
from podcast.services.shows import create_show, update_show
from podcast.services.uploads import Upload

VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nWelcome to Majlis.\n"
CHAPTERS = '[{"start": 0, "title": "Intro"}, {"start": 3.5, "title": "Обсуждение"}]'
OPTIONS = ImportOptions(allow_private=True, max_media_bytes=50 * 1024 * 1024, concurrency=2)


class _Later:
    """A WSGI app whose target is set once the port (and so the site URL) is known."""

    target: Flask | None = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        assert self.target is not None
        return self.target(environ, start_response)


@pytest.fixture
def source_site(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """A first instance, served on 127.0.0.1 under its own site URL, with a published show."""
    later = _Later()
    server = make_server("127.0.0.1", 0, later, threaded=True)
    site = f"http://127.0.0.1:{server.server_port}"
    source = make_app(tmp_path / "source", SITE_URL=site, ANALYTICS=False)
    later.target = source
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with source.app_context():
        db.create_all()
        _publish(source, site)
        db.session.remove()
    try:
        yield source, site
    finally:
        server.shutdown()
        server.server_close()
        with source.app_context():
            db.engine.dispose()


def _publish(source: Flask, site: str) -> None:
    storage = source.extensions["podcast.storage"]
    show = create_show(db.session, dict(SHOW_SETTINGS), f"{site}/feed.xml")
    update_show(
        db.session, show,
        {"funding_url": "https://example.org/give", "funding_label": "Give", "copyright": "RFE/RL",
         "subtitle": "Central Asia, weekly", "show_type": "serial"},
    )  # fmt: skip
    guest = create_guest(
        db.session, parse_guest_input({"name": "Dilfuza Kurolova", "website": "https://d.example"})
    )
    now = utcnow()
    episodes = [
        ("Silence and Impunity", SAMPLE_MP3, {"season": "1", "number": "1", "summary": "First.",
         "description": "Plain notes with **bold** and a [link](https://example.org/a).",
         "publish_at": (now - timedelta(days=14)).isoformat()}, Attachments()),
        ("Выборы в Казахстане", FIXTURES / "cbr-128k-stereo.mp3", {
            "season": "1", "number": "2", "explicit": "true", "guests": f"[{guest.id}]",
            "chapters": CHAPTERS, "episode_type": "bonus",
            "description": "## Guests\n\nWith [Dilfuza](https://example.org/d).\n\n- one\n- two",
            "publish_at": (now - timedelta(days=7)).isoformat()},
         Attachments(transcript=Upload(io.BytesIO(VTT), "t.vtt"),
                     image=Upload(io.BytesIO(COVER.read_bytes()), "cover.jpg"))),
        ("Chapters in the file", FIXTURES / "chapters-id3.mp3", {
            "publish_at": (now - timedelta(days=1)).isoformat()}, Attachments()),
    ]  # fmt: skip
    for title, path, raw, files in episodes:
        data = parse_episode_input(
            {"title": title, "status": "published", **raw}, partial=False, timezone="UTC"
        )
        files = Attachments(
            audio=Upload(io.BytesIO(path.read_bytes()), path.name),
            image=files.image, transcript=files.transcript,
        )  # fmt: skip
        create_episode(db.session, storage, show, data, files, max_bytes=2**30)


def _snapshot(show: Show) -> dict[str, Any]:
    episodes = db.session.scalars(
        select(Episode).where(Episode.show_id == show.id).order_by(Episode.publish_at)
    ).all()
    return {
        "show": {
            name: getattr(show, name)
            for name in (
                "title",
                "subtitle",
                "author",
                "owner_name",
                "owner_email",
                "language",
                "categories",
                "explicit",
                "show_type",
                "copyright",
                "website",
                "funding_url",
                "funding_label",
                "hosts",
                "podcast_guid",
            )
        },
        "description": plain_text(render_markdown(show.description)),
        "episodes": [
            {
                "guid": e.guid,
                "title": e.title,
                "summary": e.summary,
                "publish_at": e.publish_at.replace(microsecond=0) if e.publish_at else None,
                # Words, links and lists as listeners read them (the feed writes headings as
                # bold paragraphs, the HTML Apple takes, so a heading comes back bold).
                "notes": html_text(str(render_markdown(e.description))),
                "links": str(render_markdown(e.description)).count("<a href"),
                "season": e.season,
                "number": e.number,
                "type": e.episode_type.value,
                "explicit": e.explicit,
                "status": e.status.value,
                "size": e.audio.size_bytes if e.audio else None,
                "sha256": e.audio.sha256 if e.audio else None,
                "mime": e.audio.mime_type if e.audio else None,
                "duration": round(e.audio.duration_seconds or 0, 2) if e.audio else None,
                "chapters": [(c["start"], c["title"]) for c in e.effective_chapters],
                "guests": [g.name for g in e.guests],
                "transcript": e.transcript is not None,
                "image": e.image.sha256 if e.image else None,
            }
            for e in episodes
        ],
    }


def test_a_show_exported_by_its_feed_comes_back_whole(
    app: Flask, source_site: tuple[Flask, str]
) -> None:
    source, site = source_site
    with source.app_context():
        original = _snapshot(db.session.scalar(select(Show)))  # type: ignore[arg-type]
        transcript_key = db.session.scalar(
            select(Episode).where(Episode.transcript_id.is_not(None))
        ).transcript.key  # type: ignore[union-attr]
        vtt = source.extensions["podcast.storage"].local_path(transcript_key).read_bytes()
        db.session.remove()
    storage = app.extensions["podcast.storage"]
    feed_import = FeedImport(
        source_url=f"{site}/feed.xml", locked_override_email="podcasts@example.org"
    )
    db.session.add(feed_import)
    db.session.commit()
    report = run_import(
        db.session, storage, feed_import, fetcher=default_fetcher(), options=OPTIONS
    )
    assert (report.imported, report.failed) == (3, 0), report.as_json()
    imported = _snapshot(db.session.scalar(select(Show)))  # type: ignore[arg-type]
    assert imported["show"] == original["show"]
    assert imported["description"] == original["description"]
    for ours, theirs in zip(imported["episodes"], original["episodes"], strict=True):
        assert {k: v for k, v in ours.items() if v != theirs[k]} == {}, theirs
    with_transcript = db.session.scalar(select(Episode).where(Episode.transcript_id.is_not(None)))
    assert with_transcript is not None and with_transcript.transcript is not None
    assert storage.local_path(with_transcript.transcript.key).read_bytes() == vtt
    # Nothing new to do the second time.
    again = FeedImport(source_url=f"{site}/feed.xml", locked_override_email="podcasts@example.org")
    db.session.add(again)
    db.session.commit()
    second = run_import(db.session, storage, again, fetcher=default_fetcher(), options=OPTIONS)
    assert (second.unchanged, second.imported, second.updated) == (3, 0, 0)
