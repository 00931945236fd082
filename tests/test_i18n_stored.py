"""Stored English messages (jobs, webhook deliveries, upload warnings) read in the admin's language.

The database keeps each message in English, as the API, the CLI and the logs read it, and beside
it the record of its sentence; the Russian admin shows the same message in Russian.
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from lxml import html
from support.api import app_with
from support.data import FIXTURES

from podcast.extensions import db
from podcast.jobs import enqueue, run_queued
from podcast.jobs.records import Job
from podcast.services.webhooks import create_webhook
from podcast.wording import record, revive, say, say_plural, sentences


@pytest.fixture
def app(tmp_path, _postgres_schema):
    """The app with webhooks allowed to reach the receivers on 127.0.0.1."""
    with app_with(tmp_path, _postgres_schema, WEBHOOK_ALLOW_PRIVATE=True) as application:
        yield application


@pytest.fixture
def russian_admin(login):
    """An admin whose admin pages speak Russian, logged in."""
    user = login("admin", email="administrator@example.org")
    user.locale = "ru"
    db.session.commit()
    return user


def _page_text(response) -> str:
    return " ".join(html.fromstring(response.get_data(as_text=True)).text_content().split())


def test_a_record_revives_its_sentence_and_a_stale_one_is_ignored():
    sentence = sentences(
        say("It failed unexpectedly (%(error)s); see the worker log.", error="KeyError"),
        say_plural("%(count)s problem", "%(count)s problems", 2, count=2),
    )
    kept = record(sentence)
    assert kept is not None and kept["text"] == str(sentence)
    again = revive(str(sentence), kept)
    assert again == sentence and again.values["part1"].plural == "%(count)s problems"
    assert record("plain words") is None
    # The text was changed without its record: the text as it is, not the record's words.
    assert revive("Edited by hand.", kept) == "Edited by hand."
    assert type(revive("Edited by hand.", kept)) is str
    assert revive("anything", {"say": 3}) == "anything"


def test_the_russian_jobs_page_and_its_poll_read_job_messages_in_russian(
    app, client, russian_admin, api_token, storage
):
    failed = enqueue(db.session, "ping", {"seconds": -1}, max_attempts=1)
    done = enqueue(db.session, "ping", {})
    db.session.commit()
    run_queued()
    key = "orphan/left-behind.mp3"
    storage.put(key, io.BytesIO(b"ID3 no row points here"), content_type="audio/mpeg")
    media = Path(app.config["PODCAST_STORAGE_URL"].removeprefix("file://"))
    two_hours_ago = time.time() - 7200
    os.utime(media / key, (two_hours_ago, two_hours_ago))
    check = enqueue(db.session, "storage_check", {"fix": False})
    waiting = enqueue(db.session, "ping", {})
    db.session.commit()
    run_queued(limit=1)

    text = _page_text(client.get("/admin/jobs"))
    assert "seconds должно быть от 0 до 3600." in text
    assert "Обработчик ответил через 0 с." in text
    assert "Найдена 1 проблема." in text
    assert f"объект без записи в базе (найден): {key}" in text
    assert "Ждёт обработчика." in text
    for english in ("seconds must be", "A worker answered", "problem", "Waiting for a worker"):
        assert english not in text

    poll = client.get(f"/admin/jobs/{failed.id}/status").get_json()
    assert (poll["message"], poll["error"]) == ("seconds должно быть от 0 до 3600.",) * 2
    assert client.get(f"/admin/jobs/{waiting.id}/status").get_json()["message"] == (
        "Ждёт обработчика."
    )
    # The API speaks English, whoever asks.
    headers = api_token()
    body = client.get(f"/api/v1/jobs/{failed.id}", headers=headers).get_json()
    assert body["error"] == "seconds must be from 0 to 3600."
    assert client.get(f"/api/v1/jobs/{check.id}", headers=headers).get_json()["message"] == (
        "1 problem found."
    )
    assert db.session.get(Job, done.id).message == "A worker answered after 0 s."


def test_a_message_edited_outside_the_service_is_shown_as_it_now_reads(client, russian_admin):
    job = enqueue(db.session, "ping", {})
    db.session.commit()
    job.message = "Paused by the operator."  # its record still describes "Waiting for a worker."
    db.session.commit()
    text = _page_text(client.get("/admin/jobs"))
    assert "Paused by the operator." in text and "Ждёт обработчика." not in text


def test_a_failed_webhook_delivery_reads_in_russian(
    client, show, russian_admin, receiver, make_episode
):
    target = receiver(status=500)
    webhook = create_webhook(db.session, show, target.url + "/hook", allow_private=True)
    make_episode()
    run_queued()
    russian = "Получатель ответил 500; ожидался статус 2xx."
    log = _page_text(client.get(f"/admin/show/webhooks/{webhook.id}"))
    assert russian in log and "The receiver answered" not in log
    listing = _page_text(client.get("/admin/show/webhooks"))
    assert f"сбой (попытка 1): {russian}" in listing


def test_warnings_on_staged_audio_read_in_russian(client, show, russian_admin):
    whole = (FIXTURES / "cbr-128k-stereo.mp3").read_bytes()
    cut = whole + whole[whole.index(b"\xff\xfb") :][:200]  # a last frame that stops short
    response = client.post(
        "/admin/uploads/audio",
        data={"audio": (io.BytesIO(cut), "cut.mp3"), "csrf_token": _csrf(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["warnings"] == [
        "Последний фрейм MP3 обрезан; возможно, файл загрузился не полностью."
    ]


def _csrf(client) -> str:
    page = html.fromstring(client.get("/admin/episodes/new").get_data(as_text=True))
    return page.xpath("//input[@name='csrf_token']/@value")[0]
