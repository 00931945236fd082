"""The Russian admin: the service layer's sentences and the admin script's words in Russian."""

from __future__ import annotations

import json
import pickle
import re

import pytest
from support.data import PASSWORD, SAMPLE_MP3

from podcast.extensions import db
from podcast.i18n import translate
from podcast.wording import Sentence, say, say_plural, sentences


@pytest.fixture
def russian(login):
    """A producer whose admin speaks Russian, logged in."""
    user = login(email="redaktor@example.org")
    user.locale = "ru"
    db.session.commit()
    return user


def test_a_sentence_is_its_english_text_everywhere_a_string_goes():
    sentence = say("At most %(count)s characters.", count=200)
    assert sentence == "At most 200 characters."
    assert json.dumps({"m": sentence}) == '{"m": "At most 200 characters."}'
    copy = pickle.loads(pickle.dumps(sentence))
    assert isinstance(copy, Sentence) and copy.values == {"count": 200}
    assert sentence.count("a") == "At most 200 characters.".count("a")  # still a str
    assert say_plural("%(n)s minute", "%(n)s minutes", 1, n=1) == "1 minute"
    assert say_plural("%(n)s minute", "%(n)s minutes", 5, n=5) == "5 minutes"


def test_translate_renders_nested_sentences_and_plurals_in_russian(app):
    from flask_babel import force_locale

    message = sentences(
        say("This file is not audio (it looks like %(what)s).", what=say("a PDF document")),
        say("Upload the episode as an MP3 or M4A (AAC) file."),
    )
    wait = say_plural("%(count)s minute", "%(count)s minutes", 21, count=21)
    with app.test_request_context("/admin/"), force_locale("ru"):
        assert translate(message) == (
            "Этот файл — не аудио (похоже, это документ PDF). "
            "Загрузите выпуск файлом MP3 или M4A (AAC)."
        )
        assert translate(wait) == "21 минуту"
        assert translate("plain text stays") == "plain text stays"
    assert translate(message).startswith("This file is not audio (it looks like a PDF document).")


def test_a_refused_episode_form_lists_its_field_errors_in_russian(client, show, russian, no_csrf):
    response = client.post(
        "/admin/episodes/new",
        data={"title": "Т" * 400, "number": "ноль", "publish_at": "завтра", "action": "draft"},
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert re.search(r"Не больше \d+ символов \(здесь 400\)\.", body)
    assert "Нужно целое число, 1 или больше." in body
    assert "Это не дата и время; пишите так: 2026-12-01T09:00." in body
    assert "Must be a whole number" not in body and "At most" not in body


def test_the_summary_of_problems_names_the_fields_by_their_russian_labels(
    client, show, russian, no_csrf
):
    from lxml import html as lxml_html

    response = client.post(
        "/admin/episodes/new",
        data={"title": "", "number": "ноль", "publish_at": "завтра", "action": "publish"},
    )
    assert response.status_code == 422
    summary = lxml_html.fromstring(response.get_data(as_text=True)).get_element_by_id(
        "error-summary"
    )
    assert "Нужно исправить 4 поля:" in summary.text_content()
    items = [a.text_content() for a in summary.xpath(".//a")]
    assert [item.split(":")[0] for item in items] == [
        "Название", "Аудио", "Номер выпуска", "Дата и время публикации",
    ]  # fmt: skip
    assert not re.search("[A-Za-z]{3,}", " ".join(items).replace("T09", ""))
    assert "Опубликовать сейчас" not in summary.text_content()


def test_a_refused_upload_answers_the_russian_admin_in_russian(client, show, russian, no_csrf):
    pdf = b"%PDF-1.7\n" + b"0" * 2000
    from io import BytesIO

    response = client.post(
        "/admin/uploads/audio",
        data={"audio": (BytesIO(pdf), "episode.mp3")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["fields"]["audio"].startswith("Этот файл — не аудио (похоже, это документ PDF).")
    assert error["code"] == "bad_audio"  # the code stays the contract's


def test_the_api_keeps_english_sentences(client, show, api_token):
    headers = {**api_token(), "Accept-Language": "ru"}
    response = client.post(
        "/api/v1/episodes", json={"title": "", "number": "ноль"}, headers=headers
    )
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields["number"].startswith("Must be a whole number")
    assert not any(re.search("[а-яА-Я]", text) for text in fields.values())


def test_the_admin_script_gets_its_words_in_the_producers_language(client, show, russian):
    body = client.get("/admin/episodes/new").get_data(as_text=True)
    block = re.search(r'<script type="application/json" id="admin-words">(.*?)</script>', body)
    assert block is not None
    words = json.loads(block.group(1))
    assert words["cancelled"] == "Загрузка отменена."
    assert words["progress"] == "{done} из {total} ({percent}%)"
    assert words["state_running"] != "running"


@pytest.mark.browser
def test_the_upload_progress_speaks_russian(live_server, browser_page, screenshot, show, make_user):
    from playwright.sync_api import expect

    user = make_user("redaktor@example.org")
    user.locale = "ru"
    db.session.commit()
    page = browser_page
    page.goto(live_server + "/login")
    page.locator("#email").fill("redaktor@example.org")
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(live_server + "/admin/episodes/new")
    page.locator("#audio-field input[type=file]").set_input_files(str(SAMPLE_MP3))
    expect(page.locator("#audio-progress-text")).to_contain_text("прочитано и сохранено")
    expect(page.locator("#audio-info-heading")).to_have_text("Загружено и сохранено для этой формы")
    expect(page.locator("#audio-size")).to_have_text(re.compile(r"^\d+,\d КБ$"))  # 182,1 КБ
    screenshot("upload-ru")
