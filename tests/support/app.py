"""The app on SQLite or PostgreSQL (one migrated database per session), its client and storage."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from podcast import create_app
from podcast.extensions import db

POSTGRES_ADMIN_URL = os.environ.get(
    "PODCAST_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


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
def _postgres_schema(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str | None:
    if not using_postgres():
        return None
    url = request.getfixturevalue("postgres_url")
    # An instance folder of this session's own: a shared one would share its queue and secrets
    # with every other test run on the machine.
    instance = tmp_path_factory.mktemp("pg-instance")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(instance)})
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
        # Tests make hundreds of accounts; argon2's real cost is not what they test.
        "PASSWORD_HASHING": "CHEAPEST",
    }
    settings.update(overrides)
    return create_app(settings)


def truncate_all() -> None:
    """Empty every table (PostgreSQL keeps one schema per session)."""
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
            truncate_all()
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
