"""The episode form's chapters as rows in a real browser: read from the file, edited, refused
row by row, and what the feed's chapters JSON and the episode page then show."""

from __future__ import annotations

import re

import pytest
from support.data import FIXTURES
from support.live_server import log_in

pytestmark = pytest.mark.browser


def _row(page, n: int):
    return page.get_by_role("group", name=f"Chapter {n}", exact=True)


def test_chapters_are_read_from_the_file_edited_as_rows_and_published(
    live_server, browser_page, screenshot, show, make_user
) -> None:
    from playwright.sync_api import expect

    make_user("producer@example.org")
    page, shot = browser_page, screenshot
    log_in(page, live_server)
    page.goto(live_server + "/admin/episodes/new")
    page.get_by_label("Title", exact=True).fill("Laws on paper")
    page.get_by_label("Audio file (MP3 or M4A)").set_input_files(str(FIXTURES / "chapters-id3.mp3"))
    expect(page.locator("#audio-duration")).to_have_text("0:30")
    # The file's ID3 chapters fill the empty rows.
    expect(page.locator("#chapters-status")).to_have_text("Chapters read from the audio file: 3.")
    expect(_row(page, 1).get_by_label("Start")).to_have_value("0:00")
    expect(_row(page, 1).get_by_label("Title")).to_have_value("Introduction")
    expect(_row(page, 3).get_by_label("Title")).to_have_value("Are the new laws working?")
    shot("read-from-file")

    page.get_by_role("button", name="Add a chapter").click()
    expect(_row(page, 4).get_by_label("Start")).to_be_focused()
    _row(page, 4).get_by_label("Start").fill("0:05")
    _row(page, 4).get_by_label("Title").fill("Трейлер: Ўзбекистон")
    page.get_by_role("button", name="Publish").click()

    # Refused: the summary names the row, and its link leads to that row's start.
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Chapters, row 4: Starts no later than the chapter above it")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#chapter-4-start")
    expect(_row(page, 4)).to_contain_text("put the chapters in order")
    expect(_row(page, 4).get_by_label("Title")).to_have_value("Трейлер: Ўзбекистон")
    shot("refused-row")

    # Keyboard only: move it up twice; the focus follows the row.
    page.get_by_role("button", name="Move chapter 4 up").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Move chapter 3 up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Move chapter 2 up")).to_be_focused()
    expect(page.locator("#chapters-status")).to_have_text("Chapter moved to row 2.")
    _row(page, 2).get_by_label("Link (optional)").fill("https://example.org/trailer")
    page.get_by_role("button", name="Remove chapter 4").click()
    expect(page.locator("#chapters-status")).to_have_text("Chapter 4 removed.")
    expect(page.get_by_role("group", name="Chapter 4", exact=True)).to_have_count(0)
    expect(page.locator("#chapters")).to_have_value(
        "0:00 Introduction\n0:05 Трейлер: Ўзбекистон https://example.org/trailer\n"
        "0:10 The Equality Now report"
    )
    shot("edited")
    page.get_by_role("button", name="Publish").click()
    notice = page.get_by_role("status").filter(has_text="Published")  # beside the audio job's
    expect(notice).to_contain_text("Published “Laws on paper”")

    # The edit form shows the saved rows again.
    expect(_row(page, 2).get_by_label("Link (optional)")).to_have_value(
        "https://example.org/trailer"
    )
    page.get_by_role("link", name="Public page").click()
    expect(page.get_by_role("heading", name="Laws on paper")).to_be_visible()
    items = page.locator("section.chapters li")
    expect(items).to_have_count(3)
    expect(items.nth(1)).to_contain_text("Трейлер: Ўзбекистон")
    expect(items.nth(1).get_by_role("link", name="Трейлер: Ўзбекистон")).to_have_attribute(
        "href", "https://example.org/trailer"
    )
    shot("public-page")
    href = page.locator("link[type='application/json+chapters']").get_attribute("href")
    assert href is not None and re.search(r"/shows/[^/]+/episodes/[^/]+/chapters\.json$", href)
    document = page.request.get(live_server + href).json()
    assert document["chapters"] == [
        {"startTime": 0.0, "title": "Introduction"},
        {"startTime": 5.0, "title": "Трейлер: Ўзбекистон", "url": "https://example.org/trailer"},
        {"startTime": 10.0, "title": "The Equality Now report"},
    ]
