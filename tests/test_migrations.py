"""Migrations from an empty database produce exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from support.app import POSTGRES_ADMIN_URL, make_app

from podcast.extensions import db

# Alembic cannot compare an index on an expression: it reports one as removed and added again
# whatever the database holds. _expression_indexes checks those by their definition instead.
EXPRESSION_INDEXES = {"ix_episode_search"}


def _schema_diffs(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            return [
                diff
                for diff in compare_metadata(context, db.metadata)
                if not (
                    diff[0] in ("add_index", "remove_index") and diff[1].name in EXPRESSION_INDEXES
                )
            ]
    finally:
        engine.dispose()


def _expression_indexes(url: str) -> dict[str, str]:
    """PostgreSQL's definition of each expression index (empty elsewhere)."""
    engine = create_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            return {}
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes"))
            return {name: definition for name, definition in rows if name in EXPRESSION_INDEXES}
    finally:
        engine.dispose()


@pytest.fixture
def empty_postgres() -> str:
    """A brand-new empty PostgreSQL database, dropped afterwards."""
    import uuid

    name = f"podcast_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("empty_postgres")


def test_upgrade_from_empty_matches_models(empty_database: str, tmp_path: Path) -> None:
    app = make_app(tmp_path, empty_database)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {"show", "episode", "guest", "media_asset", "user_account", "api_token"} <= tables
    assert _schema_diffs(app.config["SQLALCHEMY_DATABASE_URI"]) == []
    if empty_database.startswith("postgresql"):
        search = _expression_indexes(empty_database)["ix_episode_search"]
        assert "USING gin" in search and "to_tsvector(search_config" in search, search


def test_downgrade_to_empty_and_back(tmp_path: Path) -> None:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'roundtrip.db'}")
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        upgrade()
        again = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert left == set()
    assert "episode" in again


def test_episode_files_get_their_guid_from_their_key_once(tmp_path: Path) -> None:
    # Before 0002 a staged upload's guid lived only in its key; the migration copies it out.
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'backfill.db'}")
    row = (
        "INSERT INTO media_asset (key, kind, mime_type, size_bytes, sha256, chapters, warnings,"
        " original_filename, created_at) VALUES (:key, 'audio', 'audio/mpeg', 1, 'x', '[]',"
        " '[]', '', '2026-01-01 00:00:00')"
    )
    with app.app_context():
        upgrade(revision="0006_jobs")
        with db.engine.begin() as conn:
            conn.execute(text(row), {"key": "episodes/5f0c-guid/audio-abc.mp3"})
            conn.execute(text(row), {"key": "guests/dilfuza/photo-abc.jpg"})
        upgrade()
        with db.engine.connect() as conn:
            found = dict(conn.execute(text("SELECT key, episode_guid FROM media_asset")).all())
        db.engine.dispose()
    assert found == {
        "episodes/5f0c-guid/audio-abc.mp3": "5f0c-guid",
        "guests/dilfuza/photo-abc.jpg": None,
    }


def test_the_single_show_becomes_the_first_show_of_the_network(
    empty_database: str, tmp_path: Path
) -> None:
    app = make_app(tmp_path, empty_database)
    with app.app_context():
        upgrade(revision="0009_transcript_language")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO "show" (title, subtitle, description, author, owner_name,'
                    " owner_email, language, timezone, categories, explicit, show_type,"
                    " copyright, website, funding_url, funding_label, directory_links, hosts,"
                    " locked, complete, new_feed_url, apple_verify, podcast_guid, revision,"
                    " created_at, updated_at) VALUES ('Majlis', '', 'd', '', '', '', 'en', 'UTC',"
                    " '[]', false, 'episodic', '', '', '', '', '{}', '[]', true, false, '', '',"
                    " 'guid-1', 7, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO guest (name, slug, bio, website, links, created_at, updated_at)"
                    " VALUES ('Дильфуза', 'dilfuza', '', '', '[]', '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO episode (show_id, guid, slug, title, summary, description,"
                    " episode_type, explicit, status, created_at, updated_at, release_pending)"
                    " SELECT id, 'g-1', 'vybory', 'Выборы', '', '', 'full', false, 'draft',"
                    " '2026-01-01', '2026-01-01', false FROM \"show\""
                )
            )
            conn.execute(
                text(
                    "INSERT INTO episode_guest (episode_id, guest_id, position, role)"
                    " SELECT episode.id, guest.id, 0, 'guest' FROM episode, guest"
                )
            )
            for email, role in (("p@example.org", "producer"), ("a@example.org", "admin")):
                conn.execute(
                    text(
                        "INSERT INTO user_account (email, password_hash, role, active, created_at,"
                        " session_generation) VALUES (:e, 'x', :r, true, '2026-01-01 00:00:00', 0)"
                    ),
                    {"e": email, "r": role},
                )
        upgrade()
        with db.engine.connect() as conn:
            show = conn.execute(
                text('SELECT handle, title, podcast_guid, revision, archived_at FROM "show"')
            ).one()
            members = (
                conn.execute(
                    text(
                        "SELECT email FROM show_member JOIN user_account"
                        " ON user_account.id = show_member.user_id"
                    )
                )
                .scalars()
                .all()
            )
            kept = conn.execute(
                text(
                    "SELECT episode.slug, guest.name FROM episode JOIN episode_guest"
                    " ON episode_guest.episode_id = episode.id JOIN guest"
                    " ON guest.id = episode_guest.guest_id"
                )
            ).all()
        db.engine.dispose()
    # Rebuilding the show table on SQLite must not cascade into its episodes.
    assert [tuple(row) for row in kept] == [("vybory", "Дильфуза")]
    assert tuple(show) == ("majlis", "Majlis", "guid-1", 7, None)
    assert members == ["p@example.org"]  # producers keep their show; admins need no membership
