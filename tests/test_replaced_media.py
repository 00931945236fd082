"""Replaced audio stays served for a grace period (apps poll an older feed for hours); then
`podcast check --fix` removes it, and not before."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from support import mpeg_synth
from support.api import app_with, audio_part, episode_form, seed_show_and_token, stored_keys

from podcast.config import load_settings
from podcast.current import STORAGE_KEY
from podcast.errors import ConfigError
from podcast.extensions import db
from podcast.models import ReplacedMedia
from podcast.services.maintenance import check_storage


def _publish_and_replace(client: Any, headers: dict[str, str], tmp_path: Path) -> tuple[str, str]:
    """Publish with the sample MP3, replace it by another; returns (old, new) media paths."""
    created = client.post(
        "/api/v1/episodes", headers=headers, data=episode_form(status="published")
    )
    assert created.status_code == 201, created.json
    take2 = tmp_path / "take-2.mp3"
    mpeg_synth.write_mp3(take2, mpeg_synth.cbr_bitrates(128, 300), xing=True)
    patched = client.patch(
        f"/api/v1/episodes/{created.json['id']}", headers=headers, data={"audio": audio_part(take2)}
    )
    assert patched.status_code == 200, patched.json
    old, new = created.json["audio"]["url"], patched.json["audio"]["url"]
    assert old != new
    return urlsplit(old).path, urlsplit(new).path


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_replaced_audio_is_served_until_check_removes_it_after_the_grace_period(
    app: Flask, client: Any, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    if backend == "s3":  # served by the app's S3 proxy (no media base URL)
        app.extensions[STORAGE_KEY] = request.getfixturevalue("s3_storage")
    storage = app.extensions[STORAGE_KEY]
    headers = seed_show_and_token()
    old, new = _publish_and_replace(client, headers, tmp_path)
    old_bytes = client.get(old)
    assert old_bytes.status_code == 200
    assert old_bytes.data == audio_part()[0].read()
    assert client.get(old, headers={"Range": "bytes=0-9"}).status_code == 206
    assert client.get(new).status_code == 200

    row = db.session.scalars(select(ReplacedMedia)).one()
    assert row.delete_after - row.replaced_at == timedelta(days=7)
    old_key = old.removeprefix("/media/")
    assert row.key == old_key

    for days in (0, 6):  # within the grace period: not an orphan, not removed
        report = check_storage(
            db.session, storage, fix=True, older_than=0, now=row.replaced_at + timedelta(days=days)
        )
        assert report.problems == 0 and report.replaced_due == []
        assert old_key in stored_keys(storage)
        assert client.get(old).status_code == 200

    later = row.replaced_at + timedelta(days=7, seconds=1)
    seen = check_storage(db.session, storage, fix=False, older_than=0, now=later)
    assert seen.replaced_due == [old_key]
    assert any("grace period" in line for line in seen.lines())
    assert old_key in stored_keys(storage)
    check_storage(db.session, storage, fix=True, older_than=0, now=later)
    assert old_key not in stored_keys(storage)
    assert db.session.scalars(select(ReplacedMedia)).all() == []
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_no_grace_period_deletes_the_replaced_audio_at_once(
    tmp_path: Path, _postgres_schema: str | None
) -> None:
    with app_with(tmp_path, _postgres_schema, REPLACED_MEDIA_GRACE_DAYS=0) as app:
        headers = seed_show_and_token()
        client = app.test_client()
        old, new = _publish_and_replace(client, headers, tmp_path)
        assert client.get(old).status_code == 404
        assert client.get(new).status_code == 200
        assert db.session.scalars(select(ReplacedMedia)).all() == []


def test_the_grace_period_setting_is_checked(tmp_path: Path) -> None:
    env = {"PODCAST_SECRET_KEY": "x", "PODCAST_REPLACED_MEDIA_GRACE_DAYS": "-1"}
    with pytest.raises(ConfigError, match="PODCAST_REPLACED_MEDIA_GRACE_DAYS"):
        load_settings(tmp_path, env)
    env["PODCAST_REPLACED_MEDIA_GRACE_DAYS"] = "30"
    assert load_settings(tmp_path, env).replaced_media_grace == timedelta(days=30)
