"""Audio processing, service side: a WAV master through the form and the API becomes a levelled
MP3 by a job; publishing waits for it; the master is never public; re-processing makes a new
key; show settings; MP3 uploads measured and passed through; the normalize button."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lxml import html as lxml_html
from sqlalchemy import select
from support.api import stored_keys
from support.data import SAMPLE_MP3
from support.masters import speechlike, write_wav
from support.pipeline import leftover_uploads

from podcast.extensions import db
from podcast.jobs import run_queued
from podcast.jobs.records import Job, JobState
from podcast.models import Episode, EpisodeStatus, MediaAsset, ReplacedMedia, Show
from podcast.services.maintenance import check_storage

API = "/api/v1/episodes"


@pytest.fixture
def headers(show: Any, api_token: Any) -> dict[str, str]:
    """A producer's token, with the show in place."""
    return api_token("producer")


@pytest.fixture
def master(tmp_path: Path) -> bytes:
    """A 4-second stereo 48 kHz 24-bit WAV master at about -30 LUFS."""
    samples = speechlike(4, 48000, 2, level_db=-32)
    return write_wav(tmp_path / "master.wav", samples, 48000, bits=24).read_bytes()


def _post(client: Any, headers: dict[str, str], audio: bytes, name: str = "m.wav", **f: Any) -> Any:
    data = {"title": "Water and Power", "audio": (io.BytesIO(audio), name), **f}
    return client.post(API, headers=headers, data=data, content_type="multipart/form-data")


def _episode(episode_id: int) -> Episode:
    db.session.expire_all()
    episode = db.session.get(Episode, episode_id)
    assert episode is not None
    return episode


def _feed_length(client: Any) -> int:
    feed = client.get("/feed.xml").get_data()
    start = feed.index(b'length="') + 8
    return int(feed[start : feed.index(b'"', start)])


def test_wav_master_through_the_api_becomes_a_levelled_mp3(client, headers, storage, master):
    response = _post(client, headers, master)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["audio"] is None and body["loudness"] is None
    assert body["processing"]["state"] == "queued"
    assert body["source"] == {"format": "wav", "duration_seconds": 4.0, "integrated_lufs": None}
    episode = _episode(body["id"])
    master_key = episode.master.key
    assert master_key.startswith(f"masters/{episode.guid}/master-") and master_key.endswith(".wav")
    assert client.get(f"/media/{master_key}").status_code == 404  # never public
    assert run_queued() == 1
    got = client.get(f"{API}/{body['id']}", headers=headers).get_json()
    assert got["processing"] is None
    assert got["audio"]["mime_type"] == "audio/mpeg"
    assert got["source"]["format"] == "wav"
    assert got["source"]["duration_seconds"] == pytest.approx(4.0)
    assert got["source"]["integrated_lufs"] < -25
    assert got["loudness"]["integrated_lufs"] == pytest.approx(-16.0, abs=1.0)
    assert got["loudness"]["true_peak_dbtp"] <= -1.0
    assert got["duration_seconds"] == pytest.approx(4.0, rel=0.001)
    episode = _episode(body["id"])
    assert episode.audio.key.startswith(f"episodes/{episode.guid}/audio-")
    assert sorted(stored_keys(storage)) == sorted([master_key, episode.audio.key])
    assert client.get(got["audio"]["url"]).status_code == 200


def test_publishing_waits_for_the_master(client, headers, storage, master):
    refused = _post(client, headers, master, status="published")
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert "still being processed" in error["fields"]["status"]
    assert stored_keys(storage) == [] and db.session.scalar(select(Episode.id)) is None
    draft = _post(client, headers, master).get_json()
    patched = client.patch(f"{API}/{draft['id']}", headers=headers, json={"status": "published"})
    assert patched.status_code == 422
    assert "schedule it" in patched.get_json()["error"]["fields"]["status"]
    later = client.patch(
        f"{API}/{draft['id']}", headers=headers,
        json={"status": "scheduled", "publish_at": "2031-01-01T09:00:00Z"},
    )  # fmt: skip
    assert later.status_code == 200 and later.get_json()["status"] == "scheduled"
    run_queued()
    now = {"status": "published", "publish_at": None}
    published = client.patch(f"{API}/{draft['id']}", headers=headers, json=now)
    assert published.status_code == 200, published.get_json()
    assert _feed_length(client) == _episode(draft["id"]).audio.size_bytes


def test_a_silent_master_fails_its_job_with_a_sentence(client, headers, tmp_path):
    silent = write_wav(tmp_path / "s.wav", np.zeros((2, 48000), np.float32), 48000).read_bytes()
    body = _post(client, headers, silent).get_json()
    run_queued()
    job = db.session.scalar(select(Job).where(Job.id == body["processing"]["id"]))
    assert job.state == JobState.FAILED and job.attempts == 1  # not retried: it would fail again
    assert "silent" in job.error and "-inf" in job.error
    refused = client.patch(f"{API}/{body['id']}", headers=headers, json={"status": "published"})
    assert "could not be processed" in refused.get_json()["error"]["fields"]["status"]
    assert _episode(body["id"]).audio is None


def test_a_lying_wav_is_refused_at_upload_and_nothing_is_kept(client, headers, storage, tmp_path):
    samples = speechlike(1, 44100, 2)
    lying = write_wav(tmp_path / "l.wav", samples, 44100, declared_data=44100 * 4 * 60)
    response = _post(client, headers, lying.read_bytes())
    assert response.status_code == 422
    assert "truncated" in response.get_json()["error"]["fields"]["audio"]
    assert stored_keys(storage) == []


def test_mp3_upload_is_measured_and_passed_through_untouched(client, headers, storage):
    # A draft: publishing would also rewrite its ID3 tags (test_tags_rewrite.py), not its audio.
    body = _post(client, headers, SAMPLE_MP3.read_bytes(), "e.mp3", status="draft").get_json()
    key = _episode(body["id"]).audio.key
    run_queued()
    got = client.get(f"{API}/{body['id']}", headers=headers).get_json()
    episode = _episode(body["id"])
    assert episode.audio.key == key and episode.master is None
    assert storage.local_path(key).read_bytes() == SAMPLE_MP3.read_bytes()
    assert got["source"]["format"] == "mp3"
    assert got["loudness"]["integrated_lufs"] == got["source"]["integrated_lufs"] is not None
    assert stored_keys(storage) == [key]


def test_normalize_button_levels_an_mp3_keeping_it_as_the_master(
    client, login, no_csrf, show, storage, make_episode
):
    episode = make_episode("Loud", audio=SAMPLE_MP3)
    run_queued()
    old_key = _episode(episode.id).audio.key
    login()
    page = lxml_html.fromstring(client.get(f"/admin/episodes/{episode.id}/edit").text)
    assert page.get_element_by_id("loudness-source").text_content().startswith("MP3")
    response = client.post(f"/admin/episodes/{episode.id}/normalize")
    assert response.status_code == 302
    run_queued()
    levelled = _episode(episode.id)
    assert levelled.audio.key != old_key and levelled.master.key.startswith("masters/")
    assert levelled.audio.loudness["integrated_lufs"] == pytest.approx(-16, abs=1.0)
    kept = db.session.scalar(select(ReplacedMedia).where(ReplacedMedia.key == old_key))
    assert kept is not None  # apps holding the old feed still fetch it for the grace period
    page = lxml_html.fromstring(client.get(f"/admin/episodes/{episode.id}/edit").text)
    assert "levelled from the master" in page.text_content()
    assert page.get_element_by_id("loudness-published").text_content().startswith("-1")


def test_far_from_target_upload_gets_a_warning_on_its_page(client, login, show, make_episode):
    episode = make_episode("Quiet", audio=SAMPLE_MP3)
    run_queued()
    asset = _episode(episode.id).audio
    asset.loudness = {"integrated_lufs": -24.3, "true_peak_dbtp": -6.0, "range_lu": 5.0}
    db.session.commit()
    login()
    page = lxml_html.fromstring(client.get(f"/admin/episodes/{episode.id}/edit").text)
    warning = page.get_element_by_id("loudness-warning").text_content()
    assert "-24.3 LUFS" in warning and "8.3 LU below" in warning and "Normalize" in warning


def test_master_through_the_form_is_kept_when_publishing_is_refused(
    client, login, no_csrf, show, storage, master
):
    login()
    data = {"title": "From the desk", "audio": (io.BytesIO(master), "m.wav"), "action": "publish"}
    response = client.post("/admin/episodes/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    page = lxml_html.fromstring(response.text)
    assert "still being processed" in page.text_content()
    staged_id = int(page.get_element_by_id("staged_audio_id").get("value"))
    assert db.session.get(MediaAsset, staged_id).kind == "master"
    draft = {"title": "From the desk", "staged_audio_id": str(staged_id), "action": "draft"}
    assert client.post("/admin/episodes/new", data=draft).status_code == 302
    (episode,) = db.session.scalars(select(Episode)).all()
    assert episode.master_id == staged_id and episode.status == EpisodeStatus.DRAFT
    page = lxml_html.fromstring(client.get(f"/admin/episodes/{episode.id}/edit").text)
    assert "Processing" in page.get_element_by_id("processing-status").text_content()
    run_queued()
    assert _episode(episode.id).audio is not None


def test_reprocess_makes_a_new_key_and_the_feed_follows(
    app, client, headers, storage, master, upload_tmp
):
    body = _post(client, headers, master, publish_at="2020-01-01T00:00:00Z").get_json()
    run_queued()
    client.patch(f"{API}/{body['id']}", headers=headers, json={"status": "published"})
    first = _episode(body["id"]).audio
    first_key, first_size = first.key, first.size_bytes
    assert _feed_length(client) == first_size
    patched = client.patch("/api/v1/show", headers=headers, json={"mp3_bitrate": 64})
    assert patched.status_code == 200 and patched.get_json()["mp3_bitrate"] == 64
    result = app.test_cli_runner().invoke(args=["reprocess", str(body["id"])])
    assert result.exit_code == 0, result.output
    assert "1 episode(s) queued" in result.output
    run_queued()
    second = _episode(body["id"]).audio
    assert second.key != first_key and second.size_bytes < first_size
    assert _feed_length(client) == second.size_bytes
    assert storage.exists(first_key)  # kept for its grace period
    assert db.session.scalar(select(ReplacedMedia.key)) == first_key
    check = check_storage(db.session, storage, fix=False, older_than=0)
    assert check.problems == 0, check.lines()  # the master is known, not an orphan
    assert leftover_uploads(upload_tmp) == []  # the job's work folder went with it


def test_show_audio_settings_through_the_api_and_the_form(client, headers, login, no_csrf, show):
    got = client.get("/api/v1/show", headers=headers).get_json()
    assert (got["loudness_target"], got["true_peak_max"], got["mp3_bitrate"]) == (-16, -1, 128)
    assert (got["channels"], got["normalize_lossy"]) == ("stereo", False)
    mono = client.patch("/api/v1/show", headers=headers, json={"channels": "mono"}).get_json()
    assert (mono["loudness_target"], mono["mp3_bitrate"]) == (-19, 64)
    bad = client.patch(
        "/api/v1/show", headers=headers, json={"loudness_target": -5, "mp3_bitrate": 100}
    )
    assert bad.status_code == 422
    login()
    form = lxml_html.fromstring(client.get("/admin/show").text)
    assert form.get_element_by_id("channels").value == "mono"
    response = client.post("/admin/show", data={
        "title": "Majlis", "description": "Weekly.", "language": "en", "timezone": "UTC",
        "categories-0": "News", "show_type": "episodic",
        "loudness_target": "-18", "true_peak_max": "-1.5", "mp3_bitrate": "96",
        "channels": "stereo", "normalize_lossy": "y",
    })  # fmt: skip
    assert response.status_code == 302, response.text
    db.session.expire_all()
    saved = db.session.get(Show, show.id)
    assert (saved.loudness_target, saved.true_peak_max, saved.mp3_bitrate) == (-18, -1.5, 96)
    assert saved.audio_channels == "stereo" and saved.normalize_lossy is True
    refused = client.post("/admin/show", data={
        "title": "Majlis", "description": "Weekly.", "language": "en", "timezone": "UTC",
        "categories-0": "News", "show_type": "episodic",
        "loudness_target": "-40", "channels": "stereo",
    })  # fmt: skip
    assert refused.status_code == 422
    message = lxml_html.fromstring(refused.text).get_element_by_id("loudness_target-error")
    assert "-30" in message.text_content()


def test_normalize_lossy_show_levels_mp3_uploads(client, headers, storage):
    client.patch("/api/v1/show", headers=headers, json={"normalize_lossy": True})
    body = _post(client, headers, SAMPLE_MP3.read_bytes(), "e.mp3").get_json()
    key = _episode(body["id"]).audio.key
    run_queued()
    episode = _episode(body["id"])
    assert episode.audio.key != key and episode.master.mime_type == "audio/mpeg"
    assert episode.audio.loudness["integrated_lufs"] == pytest.approx(-16, abs=1.0)


def test_api_normalize_action_answers_202_with_the_job(client, headers, make_episode):
    episode = make_episode("Again", audio=SAMPLE_MP3)
    run_queued()
    response = client.post(f"{API}/{episode.id}/normalize", headers=headers, json={})
    assert response.status_code == 202
    body = response.get_json()
    assert body["job"]["kind"] == "audio_process" and body["job"]["state"] == "queued"
    assert body["processing"]["id"] == body["job"]["id"]


def _id3_title(title: str) -> bytes:
    """A minimal ID3v2.3 tag with a TIT2 frame, written by hand."""
    text = b"\x00" + title.encode("latin-1")
    frame = b"TIT2" + len(text).to_bytes(4, "big") + b"\x00\x00" + text
    size = len(frame)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x03\x00\x00" + syncsafe + frame


def test_tag_writers_write_into_the_mp3_before_it_is_stored(
    client, headers, storage, master, monkeypatch
):
    from podcast.services import processing_run

    def writer(session: Any, episode: Episode, path: Path) -> None:
        path.write_bytes(_id3_title(episode.title) + path.read_bytes())

    monkeypatch.setattr(processing_run, "TAG_WRITERS", [writer])
    body = _post(client, headers, master).get_json()
    run_queued()
    audio = _episode(body["id"]).audio
    data = storage.local_path(audio.key).read_bytes()
    assert data.startswith(b"ID3\x03") and b"Water and Power" in data[:64]
    assert audio.size_bytes == len(data)
    assert audio.duration_seconds == pytest.approx(4.0, rel=0.001)


def test_master_on_s3_is_fetched_levelled_and_published(
    app, client, show, s3_storage, s3_endpoint, s3_bucket, master, upload_tmp, moto_credentials
):
    from support.pipeline import episode_input, upload_of
    from support.s3 import s3_client

    from podcast.services.episodes import Attachments, create_episode

    app.extensions["podcast.storage"] = s3_storage
    path = upload_tmp.parent / "master.wav"
    path.write_bytes(master)
    episode = create_episode(
        db.session, s3_storage, show, episode_input(show, title="On S3", status="draft"),
        Attachments(audio=upload_of(path)), max_bytes=2**30,
    )  # fmt: skip
    master_key = episode.master.key
    assert client.get(f"/media/{master_key}").status_code == 404
    assert run_queued() == 1
    published = _episode(episode.id).audio
    listed = s3_client(s3_endpoint).list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(
        [f"media/{master_key}", f"media/{published.key}"]
    )
    assert published.loudness["integrated_lufs"] == pytest.approx(-16, abs=1.0)
    assert leftover_uploads(upload_tmp) == []


def test_the_encoded_mp3_carries_the_service_tags_and_a_waveform(client, headers, storage, master):
    from mutagen.id3 import ID3

    body = _post(client, headers, master, number="7").get_json()
    run_queued()
    episode = _episode(body["id"])
    first_key = episode.audio.key
    tag = ID3(storage.local_path(first_key))
    assert tag.version == (2, 3, 0)
    assert str(tag["TIT2"]) == "Water and Power" and str(tag["TRCK"]) == "7"
    assert episode.audio.tags_sha256  # tagged as it was made: no second object for the tags
    points = episode.audio.waveform["points"]
    assert max(points) > 0 and episode.audio.waveform["duration"] == pytest.approx(4, abs=0.1)
    run_queued()
    assert _episode(body["id"]).audio.key == first_key


def test_a_passed_through_mp3_gets_its_waveform_from_the_measurement(client, headers):
    body = _post(client, headers, SAMPLE_MP3.read_bytes(), "e.mp3", status="draft").get_json()
    run_queued()
    peaks = _episode(body["id"]).audio.waveform
    assert peaks is not None and len(peaks["points"]) > 10 and max(peaks["points"]) > 0
