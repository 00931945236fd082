"""Published MP3s carry the episode's tags: after an edit of the title, chapters or artwork the
tag job stores a tagged copy under a new key, the feed's enclosure follows it (URL and length),
and the old object is still served through the grace period. M4A files are left alone."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import mutagen.id3
import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select
from support.api import audio_part, episode_form, seed_show_and_token, stored_keys
from support.data import COVER, FIXTURES, SAMPLE_MP3, SHOW_SETTINGS
from support.pipeline import leftover_uploads

from podcast.audio import inspect as audio
from podcast.current import STORAGE_KEY
from podcast.extensions import db
from podcast.jobs import Job, run_queued
from podcast.models import Episode, ReplacedMedia
from podcast.services.tagging import AUDIO_TAGS

FEED = "/feed.xml"


@pytest.fixture
def headers(app: Flask) -> dict[str, str]:
    return seed_show_and_token()


def _enclosure(client: Any) -> dict[str, str]:
    feed = feedparser.parse(client.get(FEED).data)
    (entry,) = feed.entries
    (enclosure,) = [link for link in entry.links if link.get("rel") == "enclosure"]
    return {"path": urlsplit(enclosure["href"]).path, "length": enclosure["length"]}


def _tag_of(client: Any, path: str, tmp_path: Path) -> mutagen.id3.ID3:
    """The tag of the file as a listener downloads it."""
    served = client.get(path)
    assert served.status_code == 200
    target = tmp_path / f"{hashlib.sha256(path.encode()).hexdigest()[:8]}.mp3"
    target.write_bytes(served.data)
    return mutagen.id3.ID3(str(target), translate=False)


def _publish(client: Any, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    created = client.post(
        "/api/v1/episodes", headers=headers, data=episode_form(status="published", **fields)
    )
    assert created.status_code == 201, created.json
    return created.json


def _patch(client: Any, headers: dict[str, str], episode_id: int, **data: Any) -> None:
    patched = client.patch(
        f"/api/v1/episodes/{episode_id}", headers=headers, data=data,
        content_type="multipart/form-data",
    )  # fmt: skip
    assert patched.status_code == 200, patched.json


def _tag_jobs() -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(select(Job).where(Job.kind == AUDIO_TAGS).order_by(Job.id)))


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_publishing_writes_the_tags_into_a_new_object_the_feed_then_names(
    app: Flask,
    client: Any,
    headers: dict[str, str],
    tmp_path: Path,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    if backend == "s3":  # moto's server over HTTP, served by the app's S3 proxy
        app.extensions[STORAGE_KEY] = request.getfixturevalue("s3_storage")
    created = _publish(
        client,
        headers,
        title="Выборы в Кыргызстане",
        summary="Итоги голосования",
        number="3",
        chapters='[{"start": 0, "title": "Вступление"}, {"start": 5, "title": "Итоги"}]',
    )
    untagged = _enclosure(client)
    assert untagged["length"] == str(SAMPLE_MP3.stat().st_size)
    assert len(_tag_jobs()) == 1

    run_queued()

    tagged = _enclosure(client)
    assert tagged["path"] != untagged["path"]
    episode = db.session.get(Episode, created["id"])
    assert tagged["path"] == f"/d/{episode.audio.key}"  # the counting route (PODCAST_ANALYTICS)
    served = client.get(tagged["path"]).data
    assert tagged["length"] == str(len(served)) == str(episode.audio.size_bytes)
    assert episode.audio.sha256 == hashlib.sha256(served).hexdigest()
    tag = _tag_of(client, tagged["path"], tmp_path)
    assert tag.version == (2, 3, 0)
    assert str(tag["TIT2"]) == "Выборы в Кыргызстане"
    assert str(tag["TALB"]) == SHOW_SETTINGS["title"]
    assert str(tag["TRCK"]) == "3"
    assert tag.getall("COMM")[0].text == ["Итоги голосования"]
    assert tag.getall("WXXX")[0].url.endswith(f"/episodes/{episode.slug}")
    toc = tag.getall("CTOC")[0]
    assert [str(tag[f"CHAP:{i}"].sub_frames["TIT2"]) for i in toc.child_element_ids] == [
        "Вступление", "Итоги",
    ]  # fmt: skip
    # The old object is served through the grace period (apps holding the previous feed).
    assert client.get(untagged["path"]).status_code == 200
    replaced = db.session.scalars(select(ReplacedMedia)).one()
    assert replaced.key == untagged["path"].removeprefix("/d/")
    # The same audio: the duration players show is unchanged.
    original = audio.inspect(SAMPLE_MP3).duration_seconds
    assert episode.audio.duration_seconds == pytest.approx(original)
    # A second run finds nothing to do.
    run_queued()
    assert _enclosure(client) == tagged


def test_an_edit_of_the_title_and_chapters_is_written_once_after_the_job(
    app: Flask, client: Any, headers: dict[str, str], tmp_path: Path
) -> None:
    created = _publish(client, headers)
    run_queued()
    first = _enclosure(client)
    storage = app.extensions[STORAGE_KEY]
    objects = len(stored_keys(storage))

    _patch(client, headers, created["id"], title="Второй заход")
    _patch(
        client, headers, created["id"], title="Третий заход",
        chapters='[{"start": 0, "title": "Начало"}, {"start": 9, "title": "Конец"}]',
    )  # fmt: skip
    assert _enclosure(client) == first  # the feed names the old file until the job committed

    run_queued()

    after = _enclosure(client)
    assert after["path"] != first["path"]
    tag = _tag_of(client, after["path"], tmp_path)
    assert str(tag["TIT2"]) == "Третий заход"
    chapters = sorted(tag.getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.start_time, str(c.sub_frames["TIT2"])) for c in chapters] == [
        (0, "Начало"), (9000, "Конец"),
    ]  # fmt: skip
    assert after["length"] == str(len(client.get(after["path"]).data))
    assert len(stored_keys(storage)) == objects + 1  # two edits, one new object
    assert client.get(first["path"]).status_code == 200  # in its grace period


def test_new_artwork_is_the_tags_cover(
    app: Flask, client: Any, headers: dict[str, str], tmp_path: Path
) -> None:
    created = _publish(client, headers)
    run_queued()
    assert not _tag_of(client, _enclosure(client)["path"], tmp_path).getall("APIC")

    art = io.BytesIO()
    Image.new("RGB", (2000, 2000), (10, 120, 200)).save(art, "PNG")
    art.seek(0)
    _patch(client, headers, created["id"], image=(art, "art.png"))
    run_queued()

    (picture,) = _tag_of(client, _enclosure(client)["path"], tmp_path).getall("APIC")
    image = Image.open(io.BytesIO(picture.data))
    assert (image.format, image.size) == ("JPEG", (1400, 1400))
    assert image.getpixel((700, 700))[2] > 150  # the new art's blue


def test_the_show_artwork_is_the_cover_when_the_episode_has_none(
    app: Flask, client: Any, headers: dict[str, str], tmp_path: Path
) -> None:
    from podcast.models import Show
    from podcast.services.uploads import Upload, ingest_image

    show = db.session.scalars(select(Show)).one()
    storage = app.extensions[STORAGE_KEY]
    show.artwork = ingest_image(
        storage, Upload(io.BytesIO(COVER.read_bytes()), "cover.jpg"),
        owner=show.handle, field="artwork", artwork=True, max_bytes=2**24, collection="shows",
    )  # fmt: skip
    db.session.commit()
    _publish(client, headers)
    run_queued()
    (picture,) = _tag_of(client, _enclosure(client)["path"], tmp_path).getall("APIC")
    assert picture.data == COVER.read_bytes()


def test_drafts_wait_and_m4a_files_keep_their_own_tags(
    app: Flask, client: Any, headers: dict[str, str]
) -> None:
    draft = client.post("/api/v1/episodes", headers=headers, data=episode_form(status="draft"))
    assert draft.status_code == 201
    assert _tag_jobs() == []  # nothing public: nothing to write yet

    m4a = FIXTURES / "aac-96k.m4a"
    created = _publish(client, headers, title="AAC", audio=audio_part(m4a))
    _patch(client, headers, created["id"], title="AAC, renamed")
    assert _tag_jobs() == []
    run_queued()
    episode = db.session.get(Episode, created["id"])
    assert episode.audio.sha256 == hashlib.sha256(m4a.read_bytes()).hexdigest()
    assert client.get(f"/media/{episode.audio.key}").data == m4a.read_bytes()


def test_audio_replaced_before_the_job_ran_is_not_overwritten_by_it(
    app: Flask, client: Any, headers: dict[str, str], tmp_path: Path, upload_tmp: Path
) -> None:
    created = _publish(client, headers, title="First")
    _patch(client, headers, created["id"], audio=audio_part(FIXTURES / "cbr-128k-stereo.mp3"))
    run_queued()
    episode = db.session.get(Episode, created["id"])
    assert episode.audio.original_filename == "cbr-128k-stereo.mp3"
    tag = _tag_of(client, f"/media/{episode.audio.key}", tmp_path)
    assert str(tag["TIT2"]) == "First"
    assert episode.audio.duration_seconds == pytest.approx(30.0, rel=1e-3)
    assert leftover_uploads(upload_tmp) == []  # the job's working copy is gone
    assert (
        json.loads(client.get(f"/api/v1/episodes/{created['id']}", headers=headers).data)["audio"][
            "size_bytes"
        ]
        == episode.audio.size_bytes
    )


def test_renaming_the_show_rewrites_the_album_of_its_published_mp3s(
    app: Flask, client: Any, headers: dict[str, str], tmp_path: Path
) -> None:
    created = _publish(client, headers)
    draft = client.post("/api/v1/episodes", headers=headers, data=episode_form(status="draft"))
    assert draft.status_code == 201
    run_queued()
    before = _enclosure(client)

    same = client.patch("/api/v1/shows/majlis", headers=headers, json={"subtitle": "Weekly"})
    assert same.status_code == 200, same.json
    assert [job for job in _tag_jobs() if job.state == "queued"] == []  # the tags do not say it

    renamed = client.patch("/api/v1/shows/majlis", headers=headers, json={"title": "Маджлис"})
    assert renamed.status_code == 200, renamed.json
    queued = [job for job in _tag_jobs() if job.state == "queued"]
    assert [job.payload["episode_id"] for job in queued] == [created["id"]]  # not the draft
    run_queued()

    after = _enclosure(client)
    assert after["path"] != before["path"]
    assert str(_tag_of(client, after["path"], tmp_path)["TALB"]) == "Маджлис"
