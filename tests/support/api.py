"""Helpers for the API tests: apps with their own settings, multipart bodies, state probes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from podcast.current import passwords
from podcast.extensions import db
from podcast.models import Episode, MediaAsset
from podcast.services.access import grant
from podcast.services.accounts import create_token, create_user
from podcast.services.shows import create_show
from support.app import make_app, truncate_all
from support.data import PASSWORD, SAMPLE_MP3, SHOW_SETTINGS


@contextmanager
def app_with(tmp_path: Path, database_url: str | None, **overrides: Any) -> Iterator[Flask]:
    """An app with extra settings on the test database (cleaned up like the `app` fixture)."""
    application = make_app(tmp_path, database_url, **overrides)
    with application.app_context():
        if database_url is None:
            db.create_all()
        try:
            yield application
        finally:
            db.session.remove()
            if database_url is not None:
                truncate_all()
            db.engine.dispose()


def seed_show_and_token(role: str = "producer") -> dict[str, str]:
    """Create the show and a user with a token; returns the Authorization header."""
    show = create_show(db.session, dict(SHOW_SETTINGS), "https://podcast.example.org/feed.xml")
    user = create_user(
        db.session, f"{role}-seed@example.org", PASSWORD, role, passwords=passwords()
    )
    if role == "producer":
        grant(db.session, user, show)  # a producer of the show, as the factories make them
    return {"Authorization": f"Bearer {create_token(db.session, user)}"}


def audio_part(path: Path = SAMPLE_MP3, filename: str | None = None) -> tuple[io.BytesIO, str]:
    """A file part for the test client's multipart `data`."""
    return io.BytesIO(path.read_bytes()), filename or path.name


def episode_form(**fields: Any) -> dict[str, Any]:
    """Multipart fields for a new episode with the sample MP3, overridable."""
    data: dict[str, Any] = {"title": "Silence and Impunity", "audio": audio_part()}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def episode_count() -> int:
    """Rows in the episode table, read fresh."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Episode)) or 0


def asset_count() -> int:
    """Rows in the media_asset table, read fresh."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(MediaAsset)) or 0


def stored_keys(storage: Any) -> list[str]:
    """Every object key in storage."""
    return sorted(storage.iter_keys())
