"""Concurrent writes over real HTTP: parallel audio replacements on one episode serialize."""

from __future__ import annotations

import threading
from typing import Any

import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from support.api import seed_show_and_token
from support.data import SAMPLE_MP3
from support.mpeg_synth import cbr_bitrates, write_mp3

from podcast.extensions import db
from podcast.models import Episode, MediaAsset, ReplacedMedia, Show
from podcast.services.maintenance import check_storage
from podcast.services.shows import bump_revision

PARALLEL = 6


def test_parallel_audio_replacements_attach_one_and_orphan_nothing(
    app: Flask, live_server: str, storage: Any, tmp_path: Any
) -> None:
    headers = seed_show_and_token()
    created = requests.post(
        f"{live_server}/api/v1/episodes",
        headers=headers,
        data={"title": "Бишкек: шесть версий", "status": "published"},
        files={"audio": (SAMPLE_MP3.name, SAMPLE_MP3.read_bytes(), "audio/mpeg")},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    url = f"{live_server}/api/v1/episodes/{created.json()['id']}"
    versions = []
    for n in range(PARALLEL):  # each a different length, so the winner is recognisable
        path = tmp_path / f"take-{n}.mp3"
        write_mp3(path, cbr_bitrates(128, 200 + 40 * n), xing=True)
        versions.append(path.read_bytes())
    start = threading.Barrier(PARALLEL)
    answers: list[requests.Response] = []

    def replace(data: bytes) -> None:
        with requests.Session() as http:
            start.wait()
            files = {"audio": ("take.mp3", data, "audio/mpeg")}
            answers.append(http.patch(url, headers=headers, files=files, timeout=60))

    threads = [threading.Thread(target=replace, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(a.status_code for a in answers) == [200] * PARALLEL, [a.text for a in answers]
    db.session.remove()
    episode = db.session.scalars(select(Episode)).one()
    audio_rows = list(db.session.scalars(select(MediaAsset).where(MediaAsset.kind == "audio")))
    assert [a.id for a in audio_rows] == [episode.audio_id]
    assert b"".join(storage.open_range(episode.audio.key)) in versions
    kept = set(db.session.scalars(select(ReplacedMedia.key)))
    assert len(kept) == PARALLEL  # the first audio and five of the six takes, still served
    assert set(storage.iter_keys()) == kept | {episode.audio.key}
    report = check_storage(db.session, storage, fix=False, older_than=0)
    assert report.orphan_objects == [] and report.stale_assets == []


def test_two_edits_that_read_the_same_revision_bump_it_twice(app: Flask, show: Show) -> None:
    before = show.revision
    other = Session(db.engine)
    try:
        stale = other.get(Show, show.id)
        assert stale is not None and stale.revision == before
        bump_revision(show)
        db.session.commit()
        bump_revision(stale)
        other.commit()
    finally:
        other.close()
    db.session.expire_all()
    assert show.revision == before + 2
