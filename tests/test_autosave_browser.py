"""Nothing lost on a closed tab (issue 12): in Chromium, what a producer typed into the episode
form and never submitted is there when the form opens again, until they discard it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from support.live_server import log_in, screenshotter

pytestmark = pytest.mark.browser
HALF_THE_NOTES = "The Amu Darya dries up before it reaches the Aral Sea, and the"


def _type_and_close(page: Any, title: str, notes: str) -> None:
    """Type the title and half the notes, wait for the autosave a pause brings, type on, and
    close the tab at once: the page-hide request keeps the last words."""
    with page.expect_response(lambda r: r.url.endswith("/autosave")) as saved:
        page.get_by_label("Title").fill(title)
        page.get_by_label("Show notes (Markdown)").fill(notes)
    assert saved.value.status == 200
    page.get_by_label("Show notes (Markdown)").press_sequentially(" fields")
    page.close()  # no submit, no beforeunload


def _reopen(page: Any, url: str) -> Any:
    """The same form in a new tab of the same browser (the same session)."""
    again = page.context.new_page()
    again.goto(url)
    return again


@pytest.mark.browser
def test_a_closed_new_episode_tab_loses_nothing_until_discarded(
    live_server, browser_page, show, make_user, request
) -> None:
    from playwright.sync_api import expect

    make_user("producer@example.org")
    page = browser_page
    log_in(page, live_server)
    url = live_server + "/admin/episodes/new"
    page.goto(url)
    screenshotter(page, request.node.name + "-closed")("typing")
    _type_and_close(page, "Water Wars", HALF_THE_NOTES)

    page = _reopen(browser_page, url)
    shot = screenshotter(page, request.node.name)
    expect(page.get_by_label("Title")).to_have_value("Water Wars")
    expect(page.get_by_label("Show notes (Markdown)")).to_have_value(HALF_THE_NOTES + " fields")
    expect(page.locator("#autosave-notice")).to_contain_text("Restored what you typed")
    shot("restored")

    page.get_by_role("button", name=re.compile("^Discard")).click()  # no leave-page question
    expect(page.get_by_role("status").filter(has_text="Discarded")).to_contain_text(
        "Discarded the draft"
    )
    expect(page.get_by_label("Title")).to_have_value("")
    expect(page.get_by_label("Show notes (Markdown)")).to_have_value("")
    expect(page.locator("#autosave-notice")).to_have_count(0)
    shot("discarded")
    page.close()
    page = _reopen(browser_page, url)
    expect(page.get_by_label("Title")).to_have_value("")


@pytest.mark.browser
def test_a_closed_edit_tab_loses_nothing_and_discard_brings_back_the_saved_episode(
    live_server, browser_page, show, make_user, make_episode, request
) -> None:
    from playwright.sync_api import expect

    episode = make_episode("Silence and Impunity", description="The saved notes.")
    make_user("producer@example.org")
    page = browser_page
    log_in(page, live_server)
    url = live_server + f"/admin/episodes/{episode.id}/edit"
    page.goto(url)
    _type_and_close(page, "Silence, Impunity and Hope", HALF_THE_NOTES)

    page = _reopen(browser_page, url)
    shot = screenshotter(page, request.node.name)
    expect(page.get_by_label("Title")).to_have_value("Silence, Impunity and Hope")
    expect(page.get_by_label("Show notes (Markdown)")).to_have_value(HALF_THE_NOTES + " fields")
    expect(page.locator("#autosave-notice")).to_contain_text("Restored what you typed")
    shot("restored")

    page.get_by_role("button", name=re.compile("^Discard")).click()
    expect(page.get_by_role("status").filter(has_text="Discarded")).to_contain_text(
        "Discarded the draft"
    )
    expect(page.get_by_label("Title")).to_have_value("Silence and Impunity")
    expect(page.get_by_label("Show notes (Markdown)")).to_have_value("The saved notes.")
    shot("discarded")


@pytest.mark.browser
def test_a_saved_form_leaves_no_draft_behind(
    live_server, browser_page, show, make_user, request
) -> None:
    from playwright.sync_api import expect

    make_user("producer@example.org")
    page = browser_page
    log_in(page, live_server)
    url = live_server + "/admin/episodes/new"
    page.goto(url)
    with page.expect_response(lambda r: r.url.endswith("/autosave")):
        page.get_by_label("Title").fill("Saved at once")
    page.get_by_label("Title").press_sequentially("!")  # an autosave still pending
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_contain_text(
        "Saved “Saved at once!” as a draft."
    )
    page.goto(url)
    expect(page.get_by_label("Title")).to_have_value("")
    expect(page.locator("#autosave-notice")).to_have_count(0)
    screenshotter(page, request.node.name)("new-form-empty")
