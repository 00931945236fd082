"""Shared fixtures: the app on SQLite or PostgreSQL, storage, users, and factories."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from podcast import create_app
from podcast.extensions import db, login_manager
from podcast.models import Episode, Guest, Show, User
from podcast.services.accounts import create_token, create_user
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, create_episode
from podcast.services.guests import create_guest, parse_guest_input
from podcast.services.shows import create_show
from podcast.services.uploads import Upload

pytest_plugins = ["s3_fixtures"]

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_MP3 = FIXTURES / "majlis-sample-episode.mp3"
COVER = FIXTURES / "majlis-cover-1400.jpg"
PASSWORD = "correct horse battery"
POSTGRES_ADMIN_URL = os.environ.get(
    "PODCAST_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SHOW_SETTINGS: dict[str, Any] = {
    "title": "Majlis",
    "description": "RFE/RL's weekly podcast on Central Asia.",
    "author": "RFE/RL",
    "owner_name": "RFE/RL Podcasts",
    "owner_email": "podcasts@example.org",
    "language": "en",
    "timezone": "Europe/Prague",
    "categories": ["News > Politics"],
    "website": "https://www.rferl.org/podcast/majlis",
    "hosts": [{"name": "Bruce Pannier", "role": "host"}],
}


def using_postgres() -> bool:
    """True when this run targets PostgreSQL (PODCAST_TEST_DATABASE=postgres)."""
    return os.environ.get("PODCAST_TEST_DATABASE", "sqlite") == "postgres"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (per xdist worker), dropped at the end."""
    name = f"podcast_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _postgres_schema(request: pytest.FixtureRequest) -> str | None:
    if not using_postgres():
        return None
    url = request.getfixturevalue("postgres_url")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "INSTANCE_PATH": "/tmp/podcast-pg"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


def make_app(tmp_path: Path, database_url: str | None = None, **overrides: Any) -> Flask:
    """An app with its own instance folder, database and local media under tmp_path."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    settings = {
        "INSTANCE_PATH": tmp_path / "instance",
        "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'test.db'}",
        "STORAGE_URL": f"file://{tmp_path / 'media'}",
        "SITE_URL": "https://podcast.example.org",
        "SECRET_KEY": "test-secret",
        "TESTING": True,
    }
    settings.update(overrides)
    return create_app(settings)


def _truncate_all() -> None:
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(tmp_path: Path, _postgres_schema: str | None) -> Iterator[Flask]:
    """The app on a clean database: SQLite by default, PostgreSQL when asked."""
    application = make_app(tmp_path, _postgres_schema)
    with application.app_context():
        if _postgres_schema is None:
            db.create_all()
        yield application
        db.session.remove()
        if _postgres_schema is not None:
            _truncate_all()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture
def storage(app: Flask) -> Any:
    """The app's storage backend."""
    return app.extensions["podcast.storage"]


@pytest.fixture
def show(app: Flask) -> Show:
    """The Majlis show, without artwork."""
    return create_show(db.session, dict(SHOW_SETTINGS), "https://podcast.example.org/feed.xml")


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
        title: str = "Silence and Impunity", audio: Path | None = SAMPLE_MP3, **raw: Any
    ) -> Episode:
        raw.setdefault("status", "published")
        data = parse_episode_input({"title": title, **raw}, partial=False, timezone=show.timezone)
        files = Attachments()
        if audio is not None:
            files = Attachments(audio=Upload(io.BytesIO(audio.read_bytes()), audio.name))
        return create_episode(db.session, storage, show, data, files, max_bytes=2**30)

    return factory


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create a user with the test password."""

    def factory(email: str = "producer@example.org", role: str = "producer") -> User:
        return create_user(db.session, email, PASSWORD, role)

    return factory


@pytest.fixture
def login(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """Log the test client in as a new user of the given role."""

    def do_login(role: str = "producer", email: str | None = None) -> User:
        user = make_user(email or f"{role}@example.org", role)
        # Flask-Login's "strong" protection also checks _id, a hash of the client's address and
        # user agent; compute it as a request from this client would.
        with client.application.test_request_context(environ_base=client.environ_base):
            identifier = login_manager._session_identifier_generator()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            session["_id"] = identifier
        return user

    return do_login


@pytest.fixture
def api_token(make_user: Callable[..., User]) -> Callable[..., dict[str, str]]:
    """Authorization headers for a new API token of the given role."""

    def factory(role: str = "producer") -> dict[str, str]:
        user = make_user(f"api-{role}-{uuid.uuid4().hex[:6]}@example.org", role)
        return {"Authorization": f"Bearer {create_token(db.session, user)}"}

    return factory
