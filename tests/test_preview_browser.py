"""Preview links in Chromium: the producer copies a draft's link from the form, an editor who
is not logged in opens it and hears the draft's audio under a banner saying it is a preview."""

from __future__ import annotations

import re
from typing import Any

import pytest
from support.data import PASSWORD

pytestmark = pytest.mark.browser


def test_an_editor_opens_a_draft_s_preview_link_and_plays_its_audio(
    live_server, browser_page, screenshot, make_episode, make_user
) -> None:
    from playwright.sync_api import expect

    draft = make_episode(
        "Unaired Interview", status="draft", description="Guests from **Uzbekistan**."
    )
    make_user("producer@example.org")
    page: Any = browser_page
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill("producer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Episodes")).to_be_visible()
    # The episode list: the draft's row has its preview link and a Copy button.
    row = page.locator("tr.episode-row", has_text="Unaired Interview")
    expect(row.get_by_role("link", name="Preview of “Unaired Interview”")).to_be_visible()
    expect(row.get_by_role("button", name=re.compile("^Copy"))).to_be_visible()
    screenshot("dashboard")
    # On a phone the link and its button fit the card: nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(row.get_by_role("button", name=re.compile("^Copy"))).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("dashboard-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server}/admin/episodes/{draft.id}/edit")
    field = page.get_by_label("Preview link of “Unaired Interview”")
    link = field.input_value()
    assert "/preview/" in link
    expect(page.locator(".preview-link .hint")).to_contain_text("7 days")
    page.locator(".preview-link").get_by_role("button", name=re.compile("^Copy")).click()
    expect(page.locator(".preview-link .copy-status")).to_have_text("Copied.")
    screenshot("form-copied")

    # The editor: no session, the link as sent (its host is the test's site URL).
    page.context.clear_cookies()
    path = link[link.index("/preview/") :]
    response = page.goto(live_server + path)
    assert response is not None and response.status == 200
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    expect(page.get_by_role("note")).to_contain_text("preview of an unpublished episode")
    expect(page.get_by_role("heading", level=1)).to_have_text("Unaired Interview")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    assert page.evaluate("document.getElementById('player').duration") > 0
    screenshot("preview")

    # Elsewhere the draft is still nowhere.
    assert page.goto(f"{live_server}/shows/majlis/episodes/{draft.slug}").status == 404
    page.goto(live_server + "/")
    expect(page.locator("main")).not_to_contain_text("Unaired Interview")
    assert page.goto(live_server + "/preview/forged-token").status == 404
