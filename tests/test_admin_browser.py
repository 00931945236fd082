"""The producer's path in a real browser: log in, upload with progress, add a guest, publish."""

from __future__ import annotations

import re

import pytest
from support.data import PASSWORD, SAMPLE_MP3
from support.live_server import log_in


@pytest.mark.browser
def test_producer_publishes_an_episode_with_a_new_guest(
    live_server, browser_page, screenshot, show, make_user
) -> None:
    from playwright.sync_api import expect

    make_user("producer@example.org")
    page, shot = browser_page, screenshot
    page.goto(live_server + "/admin/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill("producer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    shot("login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Episodes")).to_be_visible()
    shot("dashboard")

    page.get_by_role("link", name="New episode").first.click()
    page.get_by_label("Title").fill("Silence and Impunity")
    page.get_by_label("Summary").fill("Who speaks, who is silenced.")
    page.get_by_label("Show notes (Markdown)").fill("Notes with **bold** words.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#description-preview strong")).to_have_text("bold")
    page.get_by_label("Audio file (MP3 or M4A)").set_input_files(str(SAMPLE_MP3))
    expect(page.locator("#audio-progress")).to_have_js_property("value", 100)
    expect(page.locator("#audio-progress-text")).to_contain_text("100%")
    expect(page.locator("#audio-duration")).to_have_text("0:17")
    expect(page.get_by_role("button", name="Cancel upload")).to_be_hidden()
    expect(page.locator("#audio-format")).to_have_text("audio/mpeg")
    assert page.locator("#staged_audio_id").input_value().isdigit()
    shot("audio-uploaded")

    page.get_by_label("Season").fill("1")
    page.get_by_label("Episode number").fill("3")
    page.get_by_label("New guest 1: name").fill("Dilfuza Kurolova")
    page.get_by_label("New guest 1: bio (Markdown)").fill("Journalist in *Tashkent*.")
    shot("form-filled")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status").filter(has_text="Published")).to_contain_text(
        "Published “Silence and Impunity”"
    )
    shot("published")

    page.goto(live_server + "/admin/")
    row = page.locator("tr.episode-row").first
    expect(row).to_contain_text("Published")
    expect(row).to_contain_text("Dilfuza Kurolova")
    page.get_by_role("link", name="Public page of “Silence and Impunity”").click()
    expect(page.get_by_role("heading", name="Silence and Impunity")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Dilfuza Kurolova")
    shot("public-episode")
    page.get_by_role("link", name="Dilfuza Kurolova").first.click()
    expect(page.locator("main em", has_text="Tashkent")).to_be_visible()
    shot("public-guest")


@pytest.mark.browser
def test_a_refused_upload_says_why_and_keeps_the_form_usable(
    live_server, browser_page, screenshot, show, make_user
) -> None:
    from playwright.sync_api import expect

    make_user("producer@example.org")
    page = browser_page
    log_in(page, live_server)
    page.goto(live_server + "/admin/episodes/new")
    not_audio = SAMPLE_MP3.parent / "not-audio.mp3"
    page.get_by_label("Audio file (MP3 or M4A)").set_input_files(str(not_audio))
    expect(page.locator("#audio-error")).to_contain_text("MP3")
    screenshot("refused")
    assert page.locator("#staged_audio_id").input_value() == ""
    expect(page.get_by_role("button", name="Save draft")).to_be_enabled()


@pytest.mark.browser
def test_an_upload_can_be_cancelled(live_server, browser_page, screenshot, show, make_user) -> None:
    from playwright.sync_api import expect

    make_user("producer@example.org")
    page = browser_page
    log_in(page, live_server)
    page.goto(live_server + "/admin/episodes/new")
    held = []
    # Hold the upload's response so the cancel button is on screen while it is pending.
    page.route("**/admin/uploads/audio", lambda route: held.append(route))
    page.get_by_label("Audio file (MP3 or M4A)").set_input_files(str(SAMPLE_MP3))
    cancel = page.get_by_role("button", name="Cancel upload")
    expect(cancel).to_be_visible()
    expect(page.get_by_role("button", name="Save draft")).to_be_disabled()
    screenshot("uploading")
    cancel.click()
    expect(page.locator("#audio-error")).to_have_text("Upload cancelled.")
    expect(page.get_by_role("button", name="Save draft")).to_be_enabled()
    assert page.locator("#staged_audio_id").input_value() == ""
    screenshot("cancelled")


NOT_SQUARE = SAMPLE_MP3.parent / "cover-not-square-600x400.jpg"


@pytest.mark.browser
def test_a_refused_save_lists_every_problem_and_takes_the_focus(
    live_server, browser_page, screenshot, show, make_user
) -> None:
    from playwright.sync_api import expect

    make_user("producer@example.org")
    page = browser_page
    log_in(page, live_server)
    page.goto(live_server + "/admin/episodes/new")
    page.get_by_label("Summary").fill("No title, no audio, a cover of the wrong size.")
    page.get_by_label("Episode image").set_input_files(str(NOT_SQUARE))
    page.get_by_role("button", name="Publish now").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("There are 3 problems:")
    expect(summary).to_be_focused()
    screenshot("summary")
    links = summary.get_by_role("link")
    expect(links).to_have_count(3)
    hrefs = [links.nth(i).get_attribute("href") for i in range(3)]
    assert hrefs == ["#title", "#audio", "#image"]
    for href in hrefs:
        expect(page.locator(href)).to_have_attribute("aria-invalid", "true")
    links.nth(0).click()
    expect(page.get_by_label("Title")).to_be_focused()
    page.get_by_label("Title").fill("Now with a title")
    screenshot("title-link-followed")


@pytest.mark.browser
def test_leaving_unsaved_changes_asks_first(
    live_server, browser_page, screenshot, show, make_user
) -> None:
    from playwright.sync_api import expect

    make_user("producer@example.org")
    page = browser_page
    log_in(page, live_server)
    dialogs: list[str] = []

    def answer(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    nav = page.get_by_role("navigation", name="Admin").get_by_role("link", name="Episodes")
    page.goto(live_server + "/admin/episodes/new")
    nav.click()  # nothing typed: leaves without asking
    expect(page).to_have_url(live_server + "/admin/")
    assert dialogs == []

    page.goto(live_server + "/admin/episodes/new")
    page.get_by_label("Title").press_sequentially("Half written")
    nav.click()
    expect(page.get_by_label("Title")).to_have_value("Half written")
    assert dialogs == ["beforeunload"]
    expect(page).to_have_url(live_server + "/admin/episodes/new")
    screenshot("stayed")

    page.get_by_role("button", name="Save draft").click()  # submitting never asks
    # The flash message (a draft's form also has its preview link's Copy status).
    saved = page.get_by_role("status").filter(has_text="Saved")
    expect(saved).to_contain_text("Saved “Half written” as a draft.")
    assert dialogs == ["beforeunload"]
    nav.click()  # the saved form is clean again
    expect(page).to_have_url(live_server + "/admin/")
    assert dialogs == ["beforeunload"]


@pytest.mark.browser
def test_the_publish_button_follows_the_date(
    live_server, browser_page, screenshot, show, make_user, make_episode
) -> None:
    from playwright.sync_api import expect

    later = make_episode("Later", publish_at="2031-01-15T09:00")
    live = make_episode("Live")
    make_user("producer@example.org")
    page = browser_page
    log_in(page, live_server)
    button = page.locator("#publish-button")
    when = page.get_by_label("Publish date and time")

    page.goto(live_server + "/admin/episodes/new")
    expect(button).to_have_text("Publish now")
    when.fill("2031-03-01T10:00")
    expect(button).to_have_text("Schedule")
    when.fill("2020-03-01T10:00")
    expect(button).to_have_text("Publish")
    when.fill("")
    expect(button).to_have_text("Publish now")

    page.goto(live_server + f"/admin/episodes/{later.id}/edit")
    expect(button).to_have_text("Schedule")
    when.fill("")
    expect(button).to_have_text("Publish now")
    screenshot("scheduled-date-cleared")

    page.goto(live_server + f"/admin/episodes/{live.id}/edit")
    expect(button).to_have_text("Update")
    when.fill("2031-03-01T10:00")
    expect(button).to_have_text("Schedule")
    when.fill("2020-03-01T10:00")
    expect(button).to_have_text("Update")
    button.click()
    expect(page.get_by_role("status").filter(has_text="Updated")).to_contain_text("Updated “Live”.")
    screenshot("updated")
