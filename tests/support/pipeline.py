"""Helpers for the pipeline tests: an isolated upload temp dir, a database that refuses a commit."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from podcast.extensions import db
from podcast.models import Episode, MediaAsset, Show
from podcast.services.episode_input import parse_episode_input
from podcast.services.uploads import TEMP_PREFIX, Upload

DOOMED = "Doomed"  # an episode title the refusing trigger rejects


@pytest.fixture
def upload_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point tempfile at a private directory, so leftovers of this test alone can be counted."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    assert Path(tempfile.gettempdir()) == directory
    return directory


def leftover_uploads(directory: Path) -> list[str]:
    """Temporary upload files still present in the directory."""
    return sorted(p.name for p in directory.glob(f"{TEMP_PREFIX}*"))


@pytest.fixture
def refusing_database(app: Any) -> Iterator[str]:
    """A real trigger that makes the database refuse any episode titled 'Doomed...' at commit."""
    if db.engine.dialect.name == "postgresql":
        create = [
            "CREATE OR REPLACE FUNCTION refuse_doomed() RETURNS trigger AS $$ BEGIN "
            "IF NEW.title LIKE 'Doomed%' THEN RAISE EXCEPTION 'refused by the test trigger'; "
            "END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_doomed BEFORE INSERT OR UPDATE ON episode "
            "FOR EACH ROW EXECUTE FUNCTION refuse_doomed()",
        ]
        drop = [
            "DROP TRIGGER IF EXISTS refuse_doomed ON episode",
            "DROP FUNCTION IF EXISTS refuse_doomed()",
        ]
    else:
        create = [
            f"CREATE TRIGGER refuse_doomed_{event} BEFORE {event} ON episode "
            "WHEN NEW.title LIKE 'Doomed%' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"
            for event in ("INSERT", "UPDATE")
        ]
        drop = [f"DROP TRIGGER IF EXISTS refuse_doomed_{e}" for e in ("INSERT", "UPDATE")]
    with db.engine.begin() as conn:
        for statement in create:
            conn.execute(text(statement))
    yield DOOMED
    db.session.rollback()
    with db.engine.begin() as conn:
        for statement in drop:
            conn.execute(text(statement))


def upload_of(path: Path, name: str | None = None) -> Upload:
    """An Upload of a file's bytes, as a form or API would hand it over."""
    return Upload(io.BytesIO(path.read_bytes()), name or path.name)


def episode_input(show: Show, **raw: Any) -> Any:
    """Parsed input for a new episode (published unless said otherwise)."""
    raw.setdefault("title", "Water and Power in the Fergana Valley")
    raw.setdefault("status", "published")
    return parse_episode_input(raw, partial=False, timezone=show.timezone)


def row_counts() -> tuple[int, int]:
    """How many episodes and media assets the database holds."""
    db.session.rollback()
    episodes = db.session.scalar(select(func.count()).select_from(Episode))
    assets = db.session.scalar(select(func.count()).select_from(MediaAsset))
    return int(episodes or 0), int(assets or 0)
