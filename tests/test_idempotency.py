"""A create that was saved says so, and a retry never makes a duplicate.

With a real fault: the database goes away right after the commit (PostgreSQL: the network hop
to it is cut; SQLite: its file is moved away), before the 201 is built. The answer is built
from what was committed, so the client gets 201; a retry with the same Idempotency-Key gets
the same answer and no second episode; the same key with another body is refused.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, update
from support.api import app_with, episode_count, seed_show_and_token
from support.data import SAMPLE_MP3
from support.faults import StorageLink

from podcast.errors import ConflictError
from podcast.extensions import db
from podcast.models import Episode, Guest, IdempotencyKey, utcnow
from podcast.services import idempotency

KEY = "Idempotency-Key"
TITLE = "Выборы в Узбекистане"


def _post_episode(client: Any, headers: dict[str, str], **fields: Any) -> Any:
    data = {"title": TITLE, "status": "published", **fields}
    data["audio"] = (io.BytesIO(SAMPLE_MP3.read_bytes()), SAMPLE_MP3.name)
    return client.post(
        "/api/v1/episodes", headers=headers, data=data, content_type="multipart/form-data"
    )


@contextlib.contextmanager
def _lost_after_commit(creates: type, cut: Callable[[], None]) -> Iterator[list[bool]]:
    """Call `cut` right after the commit of the transaction that inserts a `creates` row."""
    armed: list[bool] = []
    fired: list[bool] = []

    def flushed(session: Any, _context: Any) -> None:
        if any(isinstance(obj, creates) for obj in session.new):
            armed.append(True)

    def committed(_session: Any) -> None:
        if armed and not fired:
            fired.append(True)
            cut()

    event.listen(db.session, "after_flush", flushed)
    event.listen(db.session, "after_commit", committed)
    try:
        yield fired
    finally:
        event.remove(db.session, "after_flush", flushed)
        event.remove(db.session, "after_commit", committed)


@pytest.fixture
def flaky_db(tmp_path: Path, _postgres_schema: str | None) -> Iterator[tuple[Flask, Any]]:
    """The app, and (cut, restore): the database unreachable, then back with all it held."""
    if _postgres_schema is None:
        with app_with(tmp_path, None, PROPAGATE_EXCEPTIONS=False) as app:
            path = Path(db.engine.url.database)
            moved = [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]

            def cut() -> None:
                for file in moved:
                    if file.exists():
                        file.rename(f"{file}.away")
                path.mkdir()  # where the database was, nothing SQLite can open
                db.engine.dispose()

            def restore() -> None:
                path.rmdir()
                for file in moved:
                    if Path(f"{file}.away").exists():
                        Path(f"{file}.away").rename(file)
                db.engine.dispose()

            yield app, (cut, restore)
        return
    hop = StorageLink(5432)  # any TCP service: here PostgreSQL
    url = _postgres_schema.replace("@127.0.0.1:5432/", f"@127.0.0.1:{hop.port}/")
    try:
        with app_with(tmp_path, url, PROPAGATE_EXCEPTIONS=False) as app:
            yield app, (hop.down, hop.up)
            hop.up()  # the clean-up goes through the hop too
    finally:
        hop.down()


def test_a_create_saved_just_before_the_database_went_away_is_201_and_retries_are_safe(
    flaky_db: tuple[Flask, Any],
) -> None:
    app, (cut, restore) = flaky_db
    headers = {**seed_show_and_token(), KEY: str(uuid.uuid4())}
    client = app.test_client()
    with _lost_after_commit(Episode, cut) as fired:
        response = _post_episode(client, headers)
    assert fired, "the fault never struck"
    restore()
    assert response.status_code == 201, response.get_json()
    first = response.get_json()
    assert first["title"] == TITLE and first["audio"]["size_bytes"] == SAMPLE_MP3.stat().st_size
    assert episode_count() == 1
    assert db.session.get(Episode, first["id"]).guid == first["guid"]

    retried = _post_episode(client, headers)  # the script did not trust the first answer
    assert retried.status_code == 201
    assert retried.get_json() == first
    assert retried.headers["Location"] == response.headers["Location"]
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert episode_count() == 1

    other = _post_episode(client, headers, title="Another episode")
    assert other.status_code == 422
    error = other.get_json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "different request" in error["fields"][KEY]
    assert episode_count() == 1


def test_without_a_key_the_answer_is_still_the_saved_episode(flaky_db) -> None:
    app, (cut, restore) = flaky_db
    headers = seed_show_and_token()
    with _lost_after_commit(Episode, cut) as fired:
        response = _post_episode(app.test_client(), headers)
    restore()
    assert fired and response.status_code == 201, response.get_json()
    assert "Nothing was saved" not in response.get_data(as_text=True)
    assert episode_count() == 1


def test_a_guest_create_is_answered_from_its_commit_too(flaky_db) -> None:
    app, (cut, restore) = flaky_db
    headers = {**seed_show_and_token(), KEY: "guest-1"}
    client = app.test_client()
    with _lost_after_commit(Guest, cut) as fired:
        response = client.post("/api/v1/guests", headers=headers, json={"name": "Дильфуза"})
    restore()
    assert fired and response.status_code == 201, response.get_json()
    again = client.post("/api/v1/guests", headers=headers, json={"name": "Дильфуза"})
    assert again.status_code == 201 and again.get_json() == response.get_json()
    assert db.session.scalar(select(func.count()).select_from(Guest)) == 1


# --- keys without a fault -----------------------------------------------------------------------


def test_keys_belong_to_their_account(client, show, api_token) -> None:
    mine, theirs = {**api_token("producer"), KEY: "k1"}, {**api_token("producer"), KEY: "k1"}
    first = client.post("/api/v1/guests", headers=mine, json={"name": "Janette"})
    second = client.post("/api/v1/guests", headers=theirs, json={"name": "Janette"})
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] != second.get_json()["id"]


def test_an_expired_key_makes_a_new_resource(client, show, api_token) -> None:
    headers = {**api_token("producer"), KEY: "yesterday"}
    first = client.post("/api/v1/guests", headers=headers, json={"name": "Subhiya"})
    db.session.execute(
        update(IdempotencyKey).values(
            created_at=utcnow() - idempotency.KEY_LIFETIME - timedelta(seconds=1)
        )
    )
    db.session.commit()
    again = client.post("/api/v1/guests", headers=headers, json={"name": "Subhiya"})
    assert again.status_code == 201
    assert again.get_json()["id"] != first.get_json()["id"]
    assert "Idempotent-Replayed" not in again.headers
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "ключ"])
def test_an_unusable_key_is_refused_and_nothing_is_made(client, show, api_token, key) -> None:
    headers = {**api_token("producer"), KEY: key}
    response = client.post("/api/v1/guests", headers=headers, json={"name": "Nobody"})
    assert response.status_code == 422
    assert KEY in response.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(Guest)) == 0


def test_a_key_saved_meanwhile_by_another_request_is_a_409(client, show, api_token) -> None:
    headers = {**api_token("producer"), KEY: "raced"}
    assert client.post("/api/v1/guests", headers=headers, json={"name": "A"}).status_code == 201
    row = db.session.scalar(select(IdempotencyKey))
    request = idempotency.IdempotentRequest(row.user_id, row.key, row.request_sha256)
    with pytest.raises(ConflictError, match="send it again"):
        idempotency.remember(db.session, request, idempotency.SavedResponse(201, {}, ""))
    db.session.rollback()


def test_a_change_saved_before_the_database_went_away_is_never_called_unsaved(flaky_db) -> None:
    # PATCH answers with the episode read again after the commit: when the database is gone by
    # then, the answer must say the change was saved, not "Nothing was saved; try again".
    app, (cut, restore) = flaky_db
    headers = seed_show_and_token()
    client = app.test_client()
    created = client.post("/api/v1/guests", headers=headers, json={"name": "Janette"})
    assert created.status_code == 201
    guest_id = created.get_json()["id"]
    episode = _post_episode(client, headers, guests=str(guest_id)).get_json()

    def cut_after_update(session: Any, _context: Any) -> None:
        if any(isinstance(obj, Episode) for obj in session.dirty):
            event.listen(db.session, "after_commit", lambda _s: cut(), once=True)

    event.listen(db.session, "after_flush", cut_after_update, once=True)
    try:
        response = client.patch(
            f"/api/v1/episodes/{episode['id']}", headers=headers, json={"summary": "Changed"}
        )
    finally:
        if event.contains(db.session, "after_flush", cut_after_update):
            event.remove(db.session, "after_flush", cut_after_update)
    restore()
    assert response.status_code == 503, response.get_json()
    message = response.get_json()["error"]["message"]
    assert "Nothing was saved" not in message and "was saved" in message
    db.session.expire_all()
    assert db.session.get(Episode, episode["id"]).summary == "Changed"
