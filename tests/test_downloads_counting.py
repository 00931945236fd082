"""Counting downloads through the counting route by IAB v2.3: what counts, once, for whom.

Each test makes real requests to /d/<key> with the test client, writes the recorder's buffer
(as its thread does each second), runs the rollup and reads download_daily, which is what
every chart and the API read.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from support.analytics import freeze, set_analytics
from support.app import make_app
from support.data import FIXTURES, SAMPLE_MP3
from support.mpeg_synth import cbr_bitrates, write_mp3

from podcast.analytics import keys, record, rollup, rules
from podcast.extensions import db
from podcast.models import AnalyticsKey, DownloadDaily, DownloadHit, Episode
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, update_episode
from podcast.services.uploads import Upload

IPHONE = "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)"
OVERCAST = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
KZ = "95.59.1.7"  # an address the registries give to Kazakhstan
DAY = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


def get(client: Any, path: str, address: str = KZ, agent: str = IPHONE, **headers: str) -> Any:
    """A GET from one listener (its address as the socket peer), body read whole."""
    response = client.get(
        path, headers={"User-Agent": agent, **headers}, environ_base={"REMOTE_ADDR": address}
    )
    response.get_data()
    response.close()
    return response


def counted(app: Flask, now: datetime = DAY) -> dict[tuple[str, str, str], int]:
    """Write the buffer, roll up, and read download_daily as {(day, app, country): n}."""
    record.recorder(app).flush(now)
    rollup.process(db.session, now)
    rows = db.session.execute(
        select(DownloadDaily.day, DownloadDaily.app, DownloadDaily.country,
               DownloadDaily.downloads)
    ).all()  # fmt: skip
    return {(str(day), name, country): n for day, name, country, n in rows if n}


def total(app: Flask, now: datetime = DAY) -> int:
    """Every download counted so far."""
    return sum(counted(app, now).values())


@pytest.fixture
def episode(app: Flask, make_episode: Any) -> Episode:
    """A published episode (17.7 s: a download is the whole file), requests frozen at DAY."""
    freeze(app, DAY)
    return make_episode("Counted")


@pytest.fixture
def path(episode: Episode) -> str:
    """The episode's enclosure path: the counting route."""
    return f"/d/{episode.audio.key}"


@pytest.fixture
def long_episode(app: Flask, make_episode: Any, tmp_path: Path) -> Episode:
    """Three minutes at 32 kbps behind a 40 kB ID3 tag: a download is tag + one minute."""
    freeze(app, DAY)
    audio = tmp_path / "long.mp3"
    write_mp3(audio, cbr_bitrates(32, round(180 * 44100 / 1152)), xing=True, picture_bytes=40_000)
    return make_episode("Long", audio=audio)


def test_the_feed_names_the_counting_route_with_the_medias_length_and_type(client, episode):
    body = client.get("/feed.xml").data.decode()
    assert f'url="https://podcast.example.org/d/{episode.audio.key}"' in body
    assert f'length="{episode.audio.size_bytes}"' in body and 'type="audio/mpeg"' in body


def test_a_get_counts_head_304_and_probes_never(app, client, path, episode):
    head = client.head(path, headers={"User-Agent": IPHONE}, environ_base={"REMOTE_ADDR": KZ})
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == episode.audio.size_bytes
    probe = get(client, path, Range="bytes=0-1")
    assert probe.status_code == 206 and len(probe.data) == 2
    etag = head.headers["ETag"]
    assert get(client, path, **{"If-None-Match": etag}).status_code == 304
    assert total(app) == 0

    whole = get(client, path)
    assert whole.status_code == 200
    assert whole.data == SAMPLE_MP3.read_bytes()
    assert whole.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Set-Cookie" not in whole.headers
    assert counted(app) == {("2026-11-03", "Apple Podcasts", "KZ"): 1}


def test_ranges_of_one_listener_add_up_to_one_download(app, client, path, episode):
    size = episode.audio.size_bytes
    half = size // 2
    assert get(client, path, Range=f"bytes=0-{half}").status_code == 206
    assert total(app) == 0  # half the file of a 17.7 s episode is not a download
    assert get(client, path, Range=f"bytes={half - 100}-{size - 1}").status_code == 206
    assert total(app) == 1
    assert get(client, path, Range="bytes=0-").status_code == 206
    assert total(app) == 1  # and the rest of the day it stays one


def test_a_download_is_the_header_plus_one_minute_of_audio(app, client, long_episode):
    asset = long_episode.audio
    needed = rules.needed_bytes(asset.size_bytes, asset.bitrate, asset.duration_seconds)
    minute = 60 * 32_000 // 8
    assert 40_000 + minute <= needed <= 40_500 + minute  # the real tag (and Xing frame)
    path = f"/d/{asset.key}"
    get(client, path, Range=f"bytes=0-{needed - 2}")
    assert total(app) == 0
    get(client, path, Range=f"bytes={needed - 1}-{needed + 10}")
    assert total(app) == 1


def test_one_download_per_listener_per_episode_per_utc_day(app, client, path):
    get(client, path)
    get(client, path)
    assert total(app) == 1
    freeze(app, DAY.replace(hour=23, minute=59))
    get(client, path)
    assert total(app) == 1
    next_day = DAY + timedelta(days=1)
    freeze(app, next_day)
    get(client, path)
    assert counted(app, next_day) == {
        ("2026-11-03", "Apple Podcasts", "KZ"): 1,
        ("2026-11-04", "Apple Podcasts", "KZ"): 1,
    }


def test_a_listener_is_the_address_ipv6_by_its_64_and_the_user_agent(app, client, path):
    get(client, path, address="2a02:6b8:0:1::1")
    get(client, path, address="2a02:6b8:0:1:ffff:abcd:1:2")  # the same /64
    assert total(app) == 1
    get(client, path, address="2a02:6b8:0:2::1")  # the next /64
    get(client, path, address="2a02:6b8:0:1::1", agent=OVERCAST)  # another app, same home
    assert total(app) == 3
    assert counted(app)[("2026-11-03", "Overcast", "RU")] == 1


def test_a_forged_x_forwarded_for_is_ignored_without_a_trusted_proxy(app, client, path):
    for forged in ("203.0.113.1", "198.51.100.2", "not an address"):
        get(client, path, **{"X-Forwarded-For": forged})
    assert counted(app) == {("2026-11-03", "Apple Podcasts", "KZ"): 1}


def test_a_trusted_proxy_gives_the_listeners_address(app, tmp_path, episode):
    same = {"STORAGE_URL": app.config["PODCAST_STORAGE_URL"], "TRUSTED_PROXIES": 1}
    proxied = make_app(tmp_path / "proxied", app.config["SQLALCHEMY_DATABASE_URI"], **same)
    freeze(proxied, DAY)
    try:
        client = proxied.test_client()
        path = f"/d/{episode.audio.key}"
        for listener in ("95.59.1.7", "95.59.1.8", "95.59.1.7"):
            get(client, path, address="10.0.0.1", **{"X-Forwarded-For": f"1.2.3.4, {listener}"})
        with proxied.app_context():
            assert total(proxied) == 2
    finally:
        with proxied.app_context():
            db.engine.dispose()


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "PocketCasts/1.0 (Pocket Casts Feed Parser; +http://pocketcasts.com/)",
        "curl/8.5.0",
        "atc/1.0 watchOS/10.4 model/Watch6,2 hwp/t8301 build/21T216 (6; dt:229)",
        "",
    ],
)
def test_bots_and_apple_watch_duplicates_are_not_counted(app, client, path, agent):
    assert get(client, path, agent=agent).status_code == 200
    assert total(app) == 0


def test_data_centre_traffic_is_not_counted(app, client, path):
    assert get(client, path, address="3.120.0.9").status_code == 200  # AWS
    assert get(client, path, address="2a01:4f8:1:2::3").status_code == 200  # Hetzner
    assert total(app) == 0


@pytest.mark.parametrize(
    "header",
    ["bytes=", "bytes=abc", "bytes=5-2", "bytes=99999999-", "items=0-1", "bytes=-0",
     "bytes=0-1,5-9", "bytes=" + "9" * 400, "bytes=0-" + "1" * 30],
)  # fmt: skip
def test_a_malformed_range_is_answered_never_500(app, client, path, episode, header):
    response = get(client, path, Range=header)
    assert response.status_code in (200, 206, 416)
    # Counted by the bytes that went out: the whole file is a download, however asked for.
    assert total(app) == (1 if len(response.data) == episode.audio.size_bytes else 0)


def test_a_10_kb_user_agent_is_counted_by_its_start(app, client, path):
    long_agent = "Spotify/8.9.12 iOS/17.4 (iPhone15,3) " + "x" * 10_000
    assert get(client, path, agent=long_agent).status_code == 200
    assert counted(app) == {("2026-11-03", "Spotify", "KZ"): 1}
    stored = db.session.scalars(select(DownloadHit.listener)).all()
    assert all(len(value) == keys.LISTENER_HEX for value in stored)


def test_a_flood_from_one_address_is_one_download_and_one_row(app, client, path):
    for _ in range(200):
        get(client, path)
    assert total(app) == 1
    assert db.session.scalar(select(func.count()).select_from(DownloadHit)) == 1


def test_with_analytics_off_the_route_serves_and_counts_nothing(app, client, path):
    set_analytics(app, False)
    assert f"/media/{path.removeprefix('/d/')}" in client.get("/feed.xml").data.decode()
    assert get(client, path).status_code == 200  # apps holding the old feed still download
    assert total(app) == 0


def test_an_unknown_key_is_404_and_counts_nothing(app, client, path):
    assert get(client, "/d/episodes/nope/audio-x.mp3").status_code == 404
    assert get(client, "/d/../secret").status_code == 404
    assert total(app) == 0


def test_replaced_audio_keeps_its_url_and_counts_for_its_episode(app, client, episode, storage):
    old_path = f"/d/{episode.audio.key}"
    data = parse_episode_input({}, partial=True, timezone="UTC")
    other = FIXTURES / "cbr-128k-stereo.mp3"
    files = Attachments(audio=Upload(io.BytesIO(other.read_bytes()), "new.mp3"))
    update_episode(
        db.session, storage, episode, data, files, max_bytes=2**30, grace=timedelta(days=7)
    )
    assert f"/d/{episode.audio.key}" != old_path
    assert get(client, old_path).status_code == 200  # the grace period: still served
    assert total(app) == 1
    assert db.session.scalar(select(DownloadDaily.episode_id)) == episode.id


def test_the_rollup_is_idempotent_and_a_deleted_episodes_hits_are_dropped(app, client, path):
    get(client, path)
    record.recorder(app).flush(DAY)
    first = rollup.process(db.session, DAY)
    again = rollup.process(db.session, DAY)
    assert (first.hits, first.downloads, again.hits, again.downloads) == (1, 1, 0, 0)
    assert not rollup.pending(db.session)
    db.session.execute(text("DELETE FROM download_daily"))
    db.session.commit()
    assert rollup.process(db.session, DAY).downloads == 0  # processed hits are never re-read


def test_the_database_down_while_recording_the_download_still_works(app, tmp_path, caplog):
    dead = make_app(tmp_path / "dead", "postgresql+psycopg://postgres@127.0.0.1:9/none",
                    SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}})  # fmt: skip
    media = Path(dead.config["PODCAST_STORAGE_URL"].removeprefix("file://"))
    (media / "episodes/g").mkdir(parents=True)
    (media / "episodes/g/audio-a.mp3").write_bytes(SAMPLE_MP3.read_bytes())
    client = dead.test_client()
    caplog.set_level(logging.DEBUG)
    response = get(client, "/d/episodes/g/audio-a.mp3", address="198.51.100.77")
    assert response.status_code == 200 and response.data == SAMPLE_MP3.read_bytes()
    ranged = get(client, "/d/episodes/g/audio-a.mp3", address="198.51.100.77", Range="bytes=5-9")
    assert ranged.status_code == 206 and ranged.data == SAMPLE_MP3.read_bytes()[5:10]
    with dead.app_context():
        recorder = record.recorder(dead)
        assert recorder.flush() == 0  # nothing written, nothing raised
        assert recorder.pending() == 2  # kept for when the database is back
    assert "not recorded yet" in caplog.text
    assert "198.51.100" not in caplog.text


def test_no_address_reaches_any_table_or_log(app, client, path, caplog):
    caplog.set_level(logging.DEBUG)
    get(client, path, address="203.0.113.77", agent=OVERCAST)
    get(client, path, address="2001:db8:abcd:12:1:2:3:4")
    get(client, path, address="95.59.44.201", Range="bytes=0-1")
    assert total(app) >= 1
    dump = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            dump.append(" ".join(str(value) for value in row))
    text_dump = "\n".join(dump)
    for leaked in ("203.0.113.77", "2001:db8:abcd:12", "2001:db8:abcd:0012", "95.59.44.201"):
        assert leaked not in text_dump
        assert leaked not in caplog.text
    assert "Set-Cookie" not in client.get(path).headers


def test_each_days_key_is_destroyed_once_the_day_is_over(app, client, path):
    get(client, path)
    record.recorder(app).flush(DAY)
    day_one = db.session.scalar(select(DownloadHit.listener))
    assert db.session.scalars(select(AnalyticsKey.day)).all() == [DAY.date()]
    next_day = DAY + timedelta(days=1)
    freeze(app, next_day)
    get(client, path)
    record.recorder(app).flush(next_day)
    rollup.process(db.session, next_day)  # the rollup destroys past days' keys
    assert db.session.scalars(select(AnalyticsKey.day)).all() == [next_day.date()]
    listeners = db.session.scalars(select(DownloadHit.listener).order_by(DownloadHit.id)).all()
    assert listeners[0] == day_one and listeners[1] != day_one  # the same person, unlinkable


def test_raw_hits_are_purged_after_the_retention_and_the_counts_stay(app, client, path):
    get(client, path)
    assert total(app) == 1
    kept = rollup.purge(db.session, DAY + timedelta(days=30), retention_days=30)
    assert kept.hits == 0
    gone = rollup.purge(db.session, DAY + timedelta(days=31), retention_days=30)
    assert gone.hits == 1
    assert db.session.scalar(select(func.count()).select_from(DownloadHit)) == 0
    assert counted(app, DAY + timedelta(days=31)) == {("2026-11-03", "Apple Podcasts", "KZ"): 1}


def test_the_cli_processes_what_is_pending(app, client, path, runner):
    get(client, path)
    result = runner.invoke(args=["analytics", "process"])
    assert result.exit_code == 0, result.output
    assert "1 downloads counted" in result.output
    assert db.session.scalar(select(func.sum(DownloadDaily.downloads))) == 1


def test_the_worker_queues_a_rollup_each_minute_only_while_hits_wait(app, client, path):
    from podcast.analytics import tasks
    from podcast.jobs import Job, run_queued

    rollups = select(Job).where(Job.kind == tasks.ROLLUP)  # publishing also queues audio tags
    tasks._each_minute(DAY)
    assert db.session.scalars(rollups).all() == []
    get(client, path)
    record.recorder(app).flush(DAY)
    tasks._each_minute(DAY)
    tasks._each_minute(DAY)  # every worker asks: one job a minute
    assert [job.kind for job in db.session.scalars(rollups)] == [tasks.ROLLUP]
    run_queued()
    assert db.session.scalar(select(func.sum(DownloadDaily.downloads))) == 1


def test_s3_with_a_public_url_redirects_privately_and_counts(app, tmp_path, s3_endpoint, s3_bucket):
    from support.data import SHOW_SETTINGS

    from podcast.services.episodes import create_episode
    from podcast.services.shows import create_show

    base = f"{s3_endpoint}/{s3_bucket}"
    s3_app = make_app(tmp_path / "s3", app.config["SQLALCHEMY_DATABASE_URI"],
                      STORAGE_URL=f"s3://{s3_bucket}/media", S3_ENDPOINT_URL=s3_endpoint,
                      MEDIA_BASE_URL=base)  # fmt: skip
    freeze(s3_app, DAY)
    try:
        with s3_app.app_context():
            show = create_show(db.session, dict(SHOW_SETTINGS), "https://podcast.example.org/f")
            data = parse_episode_input(
                {"title": "On S3", "status": "published"}, partial=False, timezone="UTC"
            )
            files = Attachments(audio=Upload(io.BytesIO(SAMPLE_MP3.read_bytes()), "a.mp3"))
            storage = s3_app.extensions["podcast.storage"]
            key = create_episode(db.session, storage, show, data, files, max_bytes=2**30).audio.key
        client = s3_app.test_client()
        head = client.head(f"/d/{key}", environ_base={"REMOTE_ADDR": KZ})
        response = get(client, f"/d/{key}")
        assert response.status_code == 302 and head.status_code == 302
        assert response.headers["Location"] == f"{base}/media/{key}"
        assert response.headers["Cache-Control"] == "private, no-cache"
        probe = get(client, f"/d/{key}", Range="bytes=0-1", agent=OVERCAST)
        revalidate = get(client, f"/d/{key}", agent=OVERCAST, **{"If-None-Match": '"x"'})
        assert probe.status_code == revalidate.status_code == 302
        with s3_app.app_context():
            assert counted(s3_app) == {("2026-11-03", "Apple Podcasts", "KZ"): 1}
    finally:
        with s3_app.app_context():
            db.engine.dispose()


def test_done_rollups_stay_out_of_the_jobs_page_and_go_with_the_nightly_purge(
    app, client, path, login
):
    from podcast.analytics import rollup, tasks
    from podcast.jobs import Job, JobState, enqueue, run_queued

    get(client, path)
    record.recorder(app).flush(DAY)
    tasks._each_minute(DAY)
    enqueue(db.session, "storage_check", {"fix": False})
    db.session.commit()
    run_queued()
    done = db.session.scalars(select(Job).where(Job.kind == tasks.ROLLUP)).one()
    assert done.state == JobState.DONE
    login()
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "Storage check" in page  # the other jobs are listed
    assert "Download counts" not in page  # the minute's bookkeeping is not
    done_id, finished = done.id, done.finished_at
    rollup.purge(db.session, finished + timedelta(hours=23), 30)
    assert db.session.get(Job, done_id) is not None  # kept a day
    rollup.purge(db.session, finished + timedelta(days=2), 30)
    db.session.expire_all()
    assert db.session.get(Job, done_id) is None
