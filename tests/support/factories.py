"""Factories for the rows tests need: the show, guests, episodes (through the real pipeline),
users and API tokens."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from podcast.current import passwords
from podcast.extensions import db
from podcast.models import Episode, Guest, Role, Show, User
from podcast.services.access import grant
from podcast.services.accounts import create_token, create_user
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, create_episode
from podcast.services.guests import create_guest, parse_guest_input
from podcast.services.shows import create_show, parse_show_input, save_show
from podcast.services.uploads import Upload
from support.data import PASSWORD, SAMPLE_MP3, SHOW_SETTINGS


@pytest.fixture
def show(app: Flask) -> Show:
    """The Majlis show, without artwork."""
    return create_show(db.session, dict(SHOW_SETTINGS), "https://podcast.example.org/feed.xml")


@pytest.fixture
def second_show(show: Show) -> Show:
    """A second show of the network, in Russian, created after Majlis (so Majlis is primary)."""
    return save_show(
        db.session, None, None,
        parse_show_input({**SHOW_SETTINGS, "handle": "azattyk", "title": "Азаттык: подкаст",
                          "language": "ru", "timezone": "Asia/Bishkek"}),
        feed_url="https://podcast.example.org/shows/azattyk/feed.xml",
    )  # fmt: skip


@pytest.fixture
def make_guest(app: Flask) -> Callable[..., Guest]:
    """Create a guest: make_guest("Name", bio="...")."""

    def factory(name: str = "Dilfuza Kurolova", **fields: Any) -> Guest:
        return create_guest(db.session, parse_guest_input({"name": name, **fields}))

    return factory


@pytest.fixture
def make_episode(app: Flask, show: Show, storage: Any) -> Callable[..., Episode]:
    """Create an episode through the real pipeline (sample MP3 unless audio=None)."""

    def factory(
        title: str = "Silence and Impunity",
        audio: Path | None = SAMPLE_MP3,
        in_show: Show | None = None,
        **raw: Any,
    ) -> Episode:
        raw.setdefault("status", "published")
        target = in_show or show
        data = parse_episode_input({"title": title, **raw}, partial=False, timezone=target.timezone)
        files = Attachments()
        if audio is not None:
            files = Attachments(audio=Upload(io.BytesIO(audio.read_bytes()), audio.name))
        return create_episode(db.session, storage, target, data, files, max_bytes=2**30)

    return factory


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create a user with the test password."""

    def factory(
        email: str = "producer@example.org",
        role: str = "producer",
        shows: list[Show] | None = None,
    ) -> User:
        user = create_user(db.session, email, PASSWORD, role, passwords=passwords())
        # A producer is a member of the shows given, else of every show there is (the one-show
        # world most tests live in, as migration 0010 made today's producers members).
        for each in db.session.scalars(select(Show)) if shows is None else shows:
            if user.role == Role.PRODUCER:
                grant(db.session, user, each)
        return user

    return factory


@pytest.fixture
def api_token(make_user: Callable[..., User]) -> Callable[..., dict[str, str]]:
    """Authorization headers for a new API token of the given role."""

    def factory(role: str = "producer") -> dict[str, str]:
        user = make_user(f"api-{role}-{uuid.uuid4().hex[:6]}@example.org", role)
        return {"Authorization": f"Bearer {create_token(db.session, user)}"}

    return factory
