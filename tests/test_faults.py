"""Faults end to end over HTTP: storage lost during upload, replace and delete; the database failing
at commit; the server killed halfway through an upload. In each: an error a producer can act on,
no episode pointing at missing media and, after `podcast check --fix`, no media without a row.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from support import mpeg_synth
from support.api import app_with, asset_count, episode_count, seed_show_and_token, stored_keys
from support.auth import sign_in_as
from support.data import PASSWORD, SAMPLE_MP3
from support.faults import (
    AppProcess,
    MotoOnPort,
    StorageLink,
    assert_consistent,
    objects_without_rows,
    port_of,
    raw_upload,
    run_cli,
    wait_for,
)
from support.s3 import MotoProcess, s3_client

from podcast.current import passwords
from podcast.extensions import db
from podcast.models import Show
from podcast.services.access import grant
from podcast.services.accounts import create_user
from podcast.services.uploads import TEMP_PREFIX
from podcast.storage.local import INCOMING_DIR

API = "/api/v1/episodes"
UNAVAILABLE = "Media storage is unavailable"


@pytest.fixture(scope="module")
def big_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20-minute 128 kbit/s MP3 (~19 MB): over the 8 MiB multipart threshold."""
    path = tmp_path_factory.mktemp("audio") / "long-interview.mp3"
    mpeg_synth.write_cbr_minutes(path, 20)
    return path


@pytest.fixture(autouse=True)
def _credentials(moto_credentials: None) -> None:
    """moto's test credentials, whichever fixture starts the server."""


def _audio(path: Path = SAMPLE_MP3) -> tuple[io.BytesIO, str]:
    return io.BytesIO(path.read_bytes()), path.name


def _post(client: FlaskClient, headers: dict[str, str], audio: Path = SAMPLE_MP3, **fields: Any):  # type: ignore[no-untyped-def]
    data = {"title": "Почему молчат пострадавшие", "status": "published", **fields}
    data["audio"] = _audio(audio)
    return client.post(API, headers=headers, data=data, content_type="multipart/form-data")


def _assert_json_error(response: Any, status: int, code: str) -> str:
    """The response is the API's JSON error with this status and code; returns its message."""
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert "Traceback" not in error["message"]
    return str(error["message"])


def _on_first_part(storage: Any, action: Callable[[], None]) -> list[int]:
    """Run `action` once, as the first part of a multipart upload is about to be sent."""
    fired: list[int] = []
    lock = threading.Lock()

    def handler(params: dict[str, Any], **_: Any) -> None:
        with lock:
            if not fired:
                fired.append(params["PartNumber"])
                action()

    storage.client.meta.events.register("before-parameter-build.s3.UploadPart", handler)
    return fired


# --- storage outages (S3 on moto's server behind a link the test cuts) -------------------------


@pytest.fixture
def link(s3_endpoint: str) -> Iterator[StorageLink]:
    """The app's way to S3; `down()` is an outage, `up()` its end (the bucket keeps its state)."""
    hop = StorageLink(port_of(s3_endpoint))
    yield hop
    hop.down()


@pytest.fixture
def s3_app(
    tmp_path: Path, _postgres_schema: str | None, s3_bucket: str, link: StorageLink
) -> Iterator[Flask]:
    """The app on S3 through the link, reporting errors as it does in production."""
    settings = {
        "STORAGE_URL": f"s3://{s3_bucket}/media",
        "S3_ENDPOINT_URL": link.url,
        "PROPAGATE_EXCEPTIONS": False,
    }
    with app_with(tmp_path, _postgres_schema, **settings) as application:
        yield application


def _check(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["check", "--older-than", "0", *args])


def test_outage_mid_multipart_upload_is_503_and_check_aborts_the_leftover(
    s3_app: Flask, link: StorageLink, big_mp3: Path
) -> None:
    storage = s3_app.extensions["podcast.storage"]
    headers = seed_show_and_token()
    client = s3_app.test_client()
    fired = _on_first_part(storage, link.down)

    response = _post(client, headers, audio=big_mp3)
    assert fired, "the upload never reached its multipart stage"
    message = _assert_json_error(response, 503, "storage_unavailable")
    assert message.startswith(UNAVAILABLE) and "Nothing was saved" in message
    assert episode_count() == 0 and asset_count() == 0

    link.up()
    # The outage also kept the client from aborting its multipart upload: storage holds parts.
    leftovers = storage.incomplete_uploads()
    assert len(leftovers) == 1 and leftovers[0].startswith("episodes/")
    found = _check(s3_app)
    assert found.exit_code == 1
    assert f"incomplete upload (found): {leftovers[0]}" in found.output
    fixed = _check(s3_app, "--fix")
    assert fixed.exit_code == 0, fixed.output
    assert f"incomplete upload (removed): {leftovers[0]}" in fixed.output
    assert_consistent(storage)

    retried = _post(client, headers, audio=big_mp3)  # "try again once storage is back" works
    assert retried.status_code == 201, retried.get_json()
    assert retried.get_json()["audio"]["size_bytes"] == big_mp3.stat().st_size
    assert_consistent(storage)


def test_storage_process_killed_mid_upload_then_restarted(
    tmp_path: Path,
    _postgres_schema: str | None,
    moto_server_factory: Callable[..., MotoProcess],
    big_mp3: Path,
) -> None:
    server = moto_server_factory()
    s3_client(server.endpoint).create_bucket(Bucket="majlis")
    settings = {
        "STORAGE_URL": "s3://majlis/media",
        "S3_ENDPOINT_URL": server.endpoint,
        "PROPAGATE_EXCEPTIONS": False,
    }
    with app_with(tmp_path, _postgres_schema, **settings) as app:
        storage = app.extensions["podcast.storage"]
        headers = seed_show_and_token()
        client = app.test_client()
        fired = _on_first_part(storage, server.stop)
        message = _assert_json_error(
            _post(client, headers, audio=big_mp3), 503, "storage_unavailable"
        )
        assert fired and "cannot connect to the storage service" in message
        assert episode_count() == 0 and asset_count() == 0

        # moto keeps nothing across a restart: the operator recreates the bucket.
        restarted = MotoOnPort(server.port)
        try:
            s3_client(restarted.endpoint).create_bucket(Bucket="majlis")
            response = _post(client, headers, audio=big_mp3)  # the app's pooled client recovers
            assert response.status_code == 201, response.get_json()
            key = response.get_json()["audio"]["url"].split("/media/", 1)[1]
            assert client.head(f"/media/{key}").status_code == 200
            checked = _check(app)
            assert checked.exit_code == 0, checked.output
            assert "storage and database agree" in checked.output
            assert_consistent(storage)
        finally:
            restarted.stop()


def test_admin_form_during_an_outage_keeps_what_was_typed(s3_app: Flask, link: StorageLink) -> None:
    seed_show_and_token()
    s3_app.config["WTF_CSRF_ENABLED"] = False
    user = create_user(
        db.session, "editor@example.org", PASSWORD, "producer", passwords=passwords()
    )
    for show in db.session.scalars(select(Show)):
        grant(db.session, user, show)  # a producer of the show
    client = sign_in_as(s3_app.test_client(), user)
    link.down()
    response = client.post(
        "/admin/episodes/new",
        data={
            "title": "Выборы в Кыргызстане",
            "description": "Заметки к выпуску",
            "action": "publish",
            "audio": _audio(),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert UNAVAILABLE in page
    assert "Выборы в Кыргызстане" in page and "Заметки к выпуску" in page
    assert episode_count() == 0 and asset_count() == 0
    link.up()
    assert_consistent(s3_app.extensions["podcast.storage"])


def test_outage_during_replace_keeps_the_old_audio_served(s3_app: Flask, link: StorageLink) -> None:
    storage = s3_app.extensions["podcast.storage"]
    headers = seed_show_and_token()
    client = s3_app.test_client()
    created = _post(client, headers, title="Water and Power").get_json()
    url = f"{API}/{created['id']}"
    old_media = "/media/" + created["audio"]["url"].split("/media/", 1)[1]

    link.down()
    response = client.patch(
        url,
        headers=headers,
        data={"title": "Renamed during the outage", "audio": _audio()},
        content_type="multipart/form-data",
    )
    message = _assert_json_error(response, 503, "storage_unavailable")
    assert "Nothing was saved" in message
    link.up()

    after = client.get(url, headers=headers).get_json()
    assert after["title"] == "Water and Power"
    assert after["audio"] == created["audio"]
    assert asset_count() == 1  # no row for the audio that was never stored
    served = client.get(old_media)
    assert served.status_code == 200 and served.data == SAMPLE_MP3.read_bytes()
    assert_consistent(storage)


def test_outage_during_delete_hides_the_episode_and_check_removes_its_files(
    s3_app: Flask, link: StorageLink, caplog: pytest.LogCaptureFixture
) -> None:
    """Delete commits the rows first, then removes the objects (best effort).

    The producer asked for the episode to go; listeners must stop seeing it now, whatever the
    storage does. The objects left by the outage are orphans that `podcast check --fix` removes.
    """
    storage = s3_app.extensions["podcast.storage"]
    headers = seed_show_and_token()
    client = s3_app.test_client()
    created = _post(client, headers, title="Silence and Impunity").get_json()
    [key] = stored_keys(storage)

    link.down()
    with caplog.at_level(logging.WARNING, logger="podcast.services.uploads"):
        response = client.delete(f"{API}/{created['id']}", headers=headers)
    assert response.status_code == 204
    assert any(key in record.getMessage() for record in caplog.records)
    assert client.get(f"{API}/{created['id']}", headers=headers).status_code == 404
    assert client.get(f"/shows/majlis/episodes/{created['slug']}").status_code == 404
    assert created["guid"] not in client.get("/feed.xml").get_data(as_text=True)
    assert episode_count() == 0 and asset_count() == 0

    link.up()
    assert objects_without_rows(storage) == [key]
    found = _check(s3_app)
    assert found.exit_code == 1
    assert f"object without a row (found): {key}" in found.output
    fixed = _check(s3_app, "--fix")
    assert fixed.exit_code == 0, fixed.output
    assert f"object without a row (removed): {key}" in fixed.output
    assert stored_keys(storage) == []
    assert_consistent(storage)


# --- the database failing at commit ------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path, _postgres_schema: str | None) -> Iterator[Flask]:
    """The app on local storage, reporting errors as it does in production (no propagation)."""
    with app_with(tmp_path, _postgres_schema, PROPAGATE_EXCEPTIONS=False) as application:
        yield application


def test_database_refusing_the_commit_is_a_json_error_and_deletes_the_object(
    app: Flask, refusing_database: str
) -> None:
    storage = app.extensions["podcast.storage"]
    headers = seed_show_and_token()
    response = _post(app.test_client(), headers, title=f"{refusing_database} episode")
    message = _assert_json_error(response, 500, "database_error")
    assert "Nothing was saved" in message
    assert episode_count() == 0 and asset_count() == 0
    assert stored_keys(storage) == []
    assert_consistent(storage)


@contextlib.contextmanager
def _database_lost_at_commit() -> Iterator[str]:
    """PostgreSQL drops the app's connection just before COMMIT; SQLite stays locked by another
    process until the app's busy timeout runs out. Yields what the database did."""
    if db.engine.dialect.name == "postgresql":
        killer = db.engine.connect()

        def terminate(session: Any, _context: Any) -> None:
            pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            killer.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
            killer.commit()

        event.listen(db.session, "after_flush", terminate)
        try:
            yield "terminated"
        finally:
            event.remove(db.session, "after_flush", terminate)
            killer.close()
        return
    db.session.remove()
    db.engine.dispose()  # new connections take the short wait below

    def short_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=200")

    event.listen(db.engine, "connect", short_wait)
    holder = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield "locked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        event.remove(db.engine, "connect", short_wait)


def test_database_lost_at_commit_is_503_and_deletes_the_object(app: Flask) -> None:
    storage = app.extensions["podcast.storage"]
    headers = seed_show_and_token()
    client = app.test_client()
    with _database_lost_at_commit():
        response = _post(client, headers, title="Lost at commit")
    message = _assert_json_error(response, 503, "database_unavailable")
    assert "Nothing was saved" in message and "try again" in message.lower()
    assert stored_keys(storage) == []
    assert episode_count() == 0 and asset_count() == 0
    assert_consistent(storage)
    assert _post(client, headers, title="Once it is back").status_code == 201


# --- the server process killed halfway through an upload -------------------------------------


@pytest.fixture(scope="module")
def long_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40-minute 128 kbit/s MP3 (~38 MB): its staging and storing take long enough to hit."""
    path = tmp_path_factory.mktemp("audio") / "long-episode.mp3"
    mpeg_synth.write_cbr_minutes(path, 40)
    return path


@dataclass
class Deployment:
    """The real app's settings (as environment), its media and temp directories, a token."""

    env: dict[str, str]
    cwd: Path
    media: Path
    tmp: Path
    token: str
    database_url: str

    def start(self) -> AppProcess:
        """Start `podcast run` with these settings."""
        return AppProcess(self.env, self.cwd)

    def check(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the real `podcast check --older-than 0`."""
        return run_cli(self.env, self.cwd, "check", "--older-than", "0", *args)

    def staging_files(self) -> list[Path]:
        """Upload staging files in the app's temp directory or the media root's temp area."""
        places = [self.tmp, self.media / INCOMING_DIR]
        return sorted(p for place in places for p in place.glob(f"{TEMP_PREFIX}*"))

    def media_files(self) -> list[Path]:
        """Everything under the media directory (objects, their metadata, partial writes)."""
        return sorted(p for p in self.media.rglob("*") if p.is_file())


@pytest.fixture
def deployment(tmp_path: Path, _postgres_schema: str | None) -> Iterator[Deployment]:
    """A database with the show and a producer's token, and the settings to serve it."""
    with app_with(tmp_path / "setup", _postgres_schema) as setup:
        token = seed_show_and_token()["Authorization"].split()[1]
        url = setup.config["SQLALCHEMY_DATABASE_URI"]
        db.session.remove()
        (tmp_path / "tmp").mkdir()
        env = {
            **os.environ,
            "PODCAST_DATABASE_URL": url,
            "PODCAST_STORAGE_URL": f"file://{tmp_path / 'media'}",
            "PODCAST_SECRET_KEY": "fault-test-secret",
            "PODCAST_SITE_URL": "https://podcast.example.org",
            "TMPDIR": str(tmp_path / "tmp"),
        }
        yield Deployment(env, tmp_path, tmp_path / "media", tmp_path / "tmp", token, url)


def _upload_parts(audio: Path) -> list[tuple[str, str | None, bytes]]:
    return [
        ("title", None, "Голоса Ферганы".encode()),
        ("status", None, b"published"),
        ("audio", audio.name, audio.read_bytes()),
    ]


def _assert_nothing_published(deployment: Deployment) -> None:
    assert episode_count() == 0 and asset_count() == 0
    assert deployment.staging_files() == []
    assert deployment.media_files() == []


def test_killed_while_receiving_the_body_leaves_a_file_check_removes(
    deployment: Deployment, long_mp3: Path
) -> None:
    server = deployment.start()
    try:
        with raw_upload(server.port, deployment.token, _upload_parts(long_mp3)) as send:
            for _ in range(20):  # a slow client: 5 MiB in 256 KiB steps
                send(256 * 1024)
                time.sleep(0.005)
            [receiving] = wait_for(deployment.staging_files)  # the pipeline's own file
            server.kill()
    finally:
        server.kill()
    found = deployment.check()
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"temporary upload file (found): {receiving}" in found.stdout
    fixed = deployment.check("--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    _assert_nothing_published(deployment)
    assert list(deployment.tmp.iterdir()) == []
    assert deployment.check().returncode == 0


def test_killed_while_storing_leaves_files_that_check_removes(
    deployment: Deployment, long_mp3: Path
) -> None:
    server = deployment.start()
    try:
        with raw_upload(server.port, deployment.token, _upload_parts(long_mp3)) as send:
            send()
            [staging] = wait_for(deployment.staging_files)
            server.kill()
    finally:
        server.kill()
    assert staging.exists()
    found = deployment.check()
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"temporary upload file (found): {staging}" in found.stdout
    fixed = deployment.check("--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert f"temporary upload file (removed): {staging}" in fixed.stdout
    _assert_nothing_published(deployment)
    assert deployment.check().returncode == 0


@contextlib.contextmanager
def _commit_blocked(database_url: str) -> Iterator[None]:
    """Hold the lock the app's commit needs (another writer), so it waits right before it."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as conn:
        # Readers pass (the slug lookup), but the episode INSERT waits for this lock.
        conn.execute(text("LOCK TABLE episode IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


def _stored_audio(media: Path) -> list[Path]:
    return [p for p in media.rglob("audio-*.mp3") if not p.name.startswith(".")]


def test_killed_after_storing_before_commit_leaves_an_orphan_that_check_removes(
    deployment: Deployment, long_mp3: Path
) -> None:
    server = deployment.start()
    try:
        with (
            _commit_blocked(deployment.database_url),
            raw_upload(server.port, deployment.token, _upload_parts(long_mp3)) as send,
        ):
            send()
            [stored] = wait_for(lambda: _stored_audio(deployment.media))
            server.kill()
    finally:
        server.kill()
    key = stored.relative_to(deployment.media).as_posix()
    assert stored.stat().st_size == long_mp3.stat().st_size  # stored whole, never recorded
    found = deployment.check()
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"object without a row (found): {key}" in found.stdout
    fixed = deployment.check("--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert f"object without a row (removed): {key}" in fixed.stdout
    _assert_nothing_published(deployment)


def test_check_spares_the_staging_file_of_an_upload_in_flight(deployment: Deployment) -> None:
    stale = deployment.tmp / f"{TEMP_PREFIX}crashed"
    stale.write_bytes(b"half an upload")
    in_flight = deployment.tmp / f"{TEMP_PREFIX}in-flight"
    with in_flight.open("wb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as uploads.staged() holds it while it works
        fixed = deployment.check("--fix")
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        assert f"temporary upload file (removed): {stale}" in fixed.stdout
        assert "in-flight" not in fixed.stdout
        assert not stale.exists() and in_flight.exists()
