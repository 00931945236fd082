"""Applying a source feed: episodes and show made like uploads, syncs, failures, resumption."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from support.data import COVER, FIXTURES, SAMPLE_MP3
from support.import_sources import (
    MediaServer,
    Served,
    SourceTranscript,
    hand_fetcher,
    source_episode,
    source_show,
)

from podcast.errors import ConflictError
from podcast.extensions import db
from podcast.imports.apply import run_import
from podcast.imports.media import ImportOptions
from podcast.imports.records import FeedImport, FeedImportItem, ItemState
from podcast.models import Episode, EpisodeStatus, Guest, MediaAsset, Show
from podcast.services.shows import podcast_guid_for

OPTIONS = ImportOptions(allow_private=True, max_media_bytes=50 * 1024 * 1024, concurrency=2)
FEED = "https://old-host.example.com/feed.xml"


@pytest.fixture
def media() -> Iterator[MediaServer]:
    server = MediaServer().start()
    server.files["/1.mp3"] = Served(SAMPLE_MP3.read_bytes())
    server.files["/2.mp3"] = Served((FIXTURES / "cbr-128k-stereo.mp3").read_bytes())
    server.files["/3.mp3"] = Served((FIXTURES / "chapters-id3.mp3").read_bytes())
    server.files["/page.html"] = Served(b"<html><body>Not audio</body></html>", "text/html")
    server.files["/cover.jpg"] = Served(COVER.read_bytes(), "image/jpeg")
    yield server
    server.stop()


def _run(source: Any, **kwargs: Any) -> tuple[FeedImport, Any]:
    feed_import = FeedImport(source_url=FEED, **kwargs)
    db.session.add(feed_import)
    db.session.commit()
    report = run_import(
        db.session, _storage(), feed_import, fetcher=hand_fetcher(source), options=OPTIONS
    )
    return feed_import, report


def _storage() -> Any:
    from flask import current_app

    return current_app.extensions["podcast.storage"]


def _episodes() -> list[Episode]:
    return list(db.session.scalars(select(Episode).order_by(Episode.publish_at)))


def _stored_keys() -> set[str]:
    return set(_storage().iter_keys())


def _three(media: MediaServer) -> list[Any]:
    return [
        source_episode(1, media.url("/1.mp3"), length=SAMPLE_MP3.stat().st_size),
        source_episode(2, media.url("/2.mp3"), length=10, duration_seconds=999.0),
        source_episode(3, media.url("/3.mp3")),
    ]


def test_import_makes_the_show_and_its_episodes_like_uploads(
    app: Flask, media: MediaServer
) -> None:
    source = source_show(FEED, _three(media))
    feed_import, report = _run(source)
    assert report.counts() == {
        "episodes": 3, "imported": 3, "updated": 0, "unchanged": 0, "failed": 0
    }  # fmt: skip
    show = db.session.scalar(select(Show))
    assert show is not None and show.title == "Old Host Show"
    assert show.podcast_guid == podcast_guid_for(FEED)
    assert show.source_feed_url == FEED
    assert show.description == "A show *from* elsewhere."
    assert show.categories == [["News", "Politics"]]
    assert show.funding_url == "https://old-host.example.com/support"
    assert show.hosts == [{"name": "Bruce Pannier", "role": "host"}]
    episodes = _episodes()
    assert [e.guid for e in episodes] == [f"https://old-host.example.com/?p={n}" for n in (1, 2, 3)]
    first = episodes[0]
    assert first.status == EpisodeStatus.PUBLISHED
    assert first.publish_at == source.episodes[0].published_at
    assert first.description == "Notes of **episode 1**."
    assert (first.season, first.number) == (1, 1)
    assert first.audio is not None and first.audio.size_bytes == SAMPLE_MP3.stat().st_size
    assert first.audio.mime_type == "audio/mpeg"
    assert _storage().exists(first.audio.key)
    # The ID3 chapters of the third file come through the inspection, as for an upload.
    assert [c["title"] for c in episodes[2].effective_chapters]
    # One guest for the same person on every episode.
    assert db.session.scalar(select(func.count()).select_from(Guest)) == 1
    assert all(e.guests[0].name == "Dilfuza Kurolova" for e in episodes)
    # The second item's length and duration were wrong: the report says so.
    text = " ".join(report.as_json()["lines"])
    assert "said 10 bytes" in text and "lasts 999 s" in text
    assert feed_import.state == "done"


def test_a_sync_adds_what_is_new_updates_what_changed_and_never_duplicates(
    app: Flask, media: MediaServer
) -> None:
    episodes = _three(media)
    _run(source_show(FEED, episodes[:2]))
    changed = [replace(episodes[0], title="A better title"), episodes[1], episodes[2]]
    _, report = _run(source_show(FEED, changed))
    assert (report.imported, report.updated, report.unchanged) == (1, 1, 1)
    assert [e.title for e in _episodes()] == [
        "A better title", "Episode 2: the news", "Episode 3: the news"
    ]  # fmt: skip
    _, again = _run(source_show(FEED, changed))
    assert again.unchanged == 3 and len(_episodes()) == 3
    assert db.session.scalar(select(func.count()).select_from(Show)) == 1


def test_a_404_and_an_html_enclosure_fail_alone_and_leave_nothing(
    app: Flask, media: MediaServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(downloads))
    episodes = _three(media)
    broken = [
        episodes[0],
        replace(episodes[1], enclosure=replace(episodes[1].enclosure, url=media.url("/gone.mp3"))),
        replace(episodes[2], enclosure=replace(episodes[2].enclosure, url=media.url("/page.html"))),
    ]
    feed_import, report = _run(source_show(FEED, broken))
    assert (report.imported, report.failed) == (1, 2)
    assert [e.guid for e in _episodes()] == [episodes[0].guid]
    failed = {e["guid"]: e["message"] for e in report.entries if e["outcome"] == "failed"}
    assert "404" in failed[episodes[1].guid]
    assert failed[episodes[2].guid]
    assert "“Episode 2: the news” was not imported" in " ".join(feed_import.report["lines"])
    # No object without its row, no asset without its episode.
    keys = {a.key for a in db.session.scalars(select(MediaAsset))}
    assert _stored_keys() == keys
    assert list(downloads.iterdir()) == []  # no temp file left behind
    items = {i.guid: i.state for i in db.session.scalars(select(FeedImportItem))}
    assert items[episodes[1].guid] == ItemState.FAILED
    # Fixed at the source, the next run imports it.
    _, report = _run(source_show(FEED, episodes))
    assert (report.imported, report.unchanged) == (2, 1)


class Interrupt(BaseException):
    pass


def test_an_interrupted_import_resumes_where_it_stopped(app: Flask, media: MediaServer) -> None:
    source = source_show(FEED, _three(media))
    feed_import = FeedImport(source_url=FEED)
    db.session.add(feed_import)
    db.session.commit()
    calls = []

    def progress(percent: float, message: str) -> None:
        calls.append(message)
        if message.startswith("Downloading episode 3 of 3"):
            raise Interrupt

    with pytest.raises(Interrupt):
        run_import(
            db.session, _storage(), feed_import, fetcher=hand_fetcher(source), options=OPTIONS,
            progress=progress,
        )  # fmt: skip
    db.session.rollback()
    assert len(_episodes()) == 2
    media.hits.clear()
    _, report = _run(source)
    assert (report.imported, report.unchanged) == (1, 2)
    assert media.hits == ["/3.mp3"]  # the two done are not downloaded again
    assert len(_episodes()) == 3


def test_a_locked_feed_is_refused_unless_the_owner_email_is_typed(
    app: Flask, media: MediaServer
) -> None:
    source = source_show(
        FEED, _three(media)[:1], locked=True, locked_owner_email="Owner@Old-Host.example.com"
    )
    with pytest.raises(ConflictError, match="locked"):
        _run(source)
    assert _episodes() == []
    with pytest.raises(ConflictError):
        _run(source, locked_override_email="someone@else.example.com")
    feed_import, report = _run(source, locked_override_email="owner@old-host.example.com")
    assert report.imported == 1
    assert feed_import.locked_override_at is not None


def test_the_source_guid_is_kept_and_the_same_guid_may_live_in_two_shows(
    app: Flask, media: MediaServer
) -> None:
    guid = "4f6a3c8e-0a42-5b1e-9c3b-1f2d3e4a5b6c"
    episodes = [source_episode(1, media.url("/1.mp3"), guid="1")]
    _run(source_show(FEED, episodes, podcast_guid=guid))
    other = "https://another-host.example.net/rss"
    feed_import = FeedImport(source_url=other)
    db.session.add(feed_import)
    db.session.commit()
    run_import(
        db.session, _storage(), feed_import, options=OPTIONS,
        fetcher=hand_fetcher(source_show(other, episodes, title="Another")),
    )  # fmt: skip
    shows = list(db.session.scalars(select(Show).order_by(Show.id)))
    assert [s.podcast_guid for s in shows] == [guid, podcast_guid_for(other)]
    assert [e.guid for e in _episodes()] == ["1", "1"]
    # The same person on both shows is one guest.
    assert db.session.scalar(select(func.count()).select_from(Guest)) == 1


def test_transcripts_chapters_and_artwork_come_along(app: Flask, media: MediaServer) -> None:
    media.files["/t.srt"] = Served(b"1\n00:00:00,000 --> 00:00:02,000\nHello there\n", "text/srt")
    media.files["/c.json"] = Served(
        b'{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Start"},'
        b' {"startTime": 1.5, "title": "Later"}]}',
        "application/json+chapters",
    )
    episode = source_episode(
        1, media.url("/1.mp3"), chapters_url=media.url("/c.json"),
        image_url=media.url("/cover.jpg"),
        transcripts=[
            SourceTranscript(media.url("/t.srt"), "application/x-subrip", "ru"),
            SourceTranscript("https://old-host.example.com/t.html", "text/html"),
        ],
    )  # fmt: skip
    _run(source_show(FEED, [episode], image_url=media.url("/cover.jpg")))
    (imported,) = _episodes()
    assert [c["title"] for c in imported.effective_chapters] == ["Start", "Later"]
    assert imported.transcript is not None and imported.transcript.mime_type == "text/vtt"
    assert imported.transcript_language == "ru"
    assert "https://old-host.example.com/t.html" in imported.description
    assert imported.image is not None
    assert db.session.scalar(select(Show)).artwork is not None  # type: ignore[union-attr]


def test_a_future_date_is_scheduled_and_a_too_big_file_is_refused_alone(
    app: Flask, media: MediaServer
) -> None:
    from datetime import timedelta

    from podcast.models import utcnow

    later = utcnow() + timedelta(days=3)
    episodes = [
        source_episode(1, media.url("/1.mp3"), published_at=later),
        source_episode(2, media.url("/2.mp3")),
    ]
    feed_import = FeedImport(source_url=FEED)
    db.session.add(feed_import)
    db.session.commit()
    small = ImportOptions(allow_private=True, max_media_bytes=300_000, concurrency=2)
    report = run_import(
        db.session, _storage(), feed_import, fetcher=hand_fetcher(source_show(FEED, episodes)),
        options=small,
    )  # fmt: skip
    assert (report.imported, report.failed) == (1, 1)
    (scheduled,) = _episodes()
    assert scheduled.status == EpisodeStatus.SCHEDULED
    assert (
        scheduled.publish_at is not None and abs(scheduled.publish_at - later).total_seconds() < 1
    )
    assert {a.key for a in db.session.scalars(select(MediaAsset))} == _stored_keys()


def test_audio_stored_ahead_is_deleted_when_its_episode_is_refused(
    app: Flask, media: MediaServer
) -> None:
    from datetime import UTC, datetime

    # The file is fine (stored while downloading); the date is not, so no episode is made.
    ancient = source_episode(1, media.url("/1.mp3"), published_at=datetime(1, 1, 2, tzinfo=UTC))
    _, report = _run(source_show(FEED, [ancient, source_episode(2, media.url("/2.mp3"))]))
    assert (report.imported, report.failed) == (1, 1)
    keys = {a.key for a in db.session.scalars(select(MediaAsset))}
    assert _stored_keys() == keys and len(keys) == 1
