"""Guests for shows with hundreds of them, in a real browser: found by typing (case and
diacritics ignored, Cyrillic too), ordered by keyboard, any number of new ones, and the guests
list that offers Delete only for a guest on no episode."""

from __future__ import annotations

import re

import pytest
from support.data import PASSWORD, SAMPLE_MP3

pytestmark = pytest.mark.browser


def test_guests_are_found_by_typing_ordered_by_keyboard_and_new_ones_added(
    live_server, browser_page, screenshot, show, make_user, make_guest
) -> None:
    from playwright.sync_api import expect

    for number in range(1, 121):
        make_guest(f"Guest Number {number:03d}")
    make_guest("Ёлкина Дарья")
    make_guest("Zoë Brontë")
    make_guest("Dilfuza Kurolova")
    make_user("producer@example.org")
    page, shot = browser_page, screenshot
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill("producer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(live_server + "/admin/episodes/new")
    page.get_by_label("Title", exact=True).fill("Voices")
    page.get_by_label("Audio file (MP3 or M4A)").set_input_files(str(SAMPLE_MP3))
    expect(page.locator("#audio-duration")).to_have_text("0:17")

    search = page.get_by_role("combobox", name="Find a guest")
    expect(page.get_by_label("Guest 1", exact=True)).to_be_hidden()  # the selects gave way
    search.fill("елкина")  # no ё, lower case
    options = page.get_by_role("listbox", name="Matching guests").get_by_role("option")
    expect(options).to_have_text(["Ёлкина Дарья"])
    search.press("Enter")
    expect(page.locator("#guests-status")).to_have_text("Added Ёлкина Дарья.")
    expect(search).to_be_focused()
    search.fill("ZOE bron")
    expect(options).to_have_text(["Zoë Brontë"])
    options.first.click()
    search.fill("number 11")
    expect(options).to_have_count(11)  # 011 and 110 to 119
    search.press("ArrowDown")
    search.press("Enter")  # the second match: Guest Number 110
    shot("three-chosen")
    chosen = page.locator("#guest-chosen li .guest-chosen__name")
    expect(chosen).to_have_text(["Ёлкина Дарья", "Zoë Brontë", "Guest Number 110"])

    # Keyboard only: Guest Number 110 speaks first; Zoë is removed.
    page.get_by_role("button", name="Move Guest Number 110 up").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Move Guest Number 110 up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#guests-status")).to_have_text("Guest Number 110 is now number 1.")
    page.get_by_role("button", name="Remove Zoë Brontë").press("Enter")
    expect(page.locator("#guests-status")).to_have_text("Removed Zoë Brontë.")
    expect(chosen).to_have_text(["Guest Number 110", "Ёлкина Дарья"])

    # New guests: more than the two slots the page starts with.
    for index in (3, 4):
        page.get_by_role("button", name="Add another new guest").click()
        expect(page.get_by_label(f"New guest {index}: name")).to_be_focused()
    for index, name in enumerate(["Айгерим Бекова", "Bobur Karimov", "Şahin Çelik", "Мадина"], 1):
        page.get_by_label(f"New guest {index}: name").fill(name)
    page.get_by_label("New guest 4: bio (Markdown)").fill("Поэт из *Душанбе*.")
    shot("new-guests")
    page.get_by_role("button", name="Publish").click()
    notice = page.get_by_role("status").filter(has_text="Published")  # beside the audio job's
    expect(notice).to_contain_text("Published “Voices”")

    # The edit form lists them in speaking order: the two chosen, then the new ones.
    expect(chosen).to_have_text(
        [
            "Guest Number 110",
            "Ёлкина Дарья",
            "Айгерим Бекова",
            "Bobur Karimov",
            "Şahin Çelik",
            "Мадина",
        ]
    )
    page.get_by_role("link", name="Public page").click()
    expect(page.locator("section.guests li")).to_have_count(6)
    expect(page.locator("section.guests li").first).to_contain_text("Guest Number 110")

    # The guests list: no active Delete for a guest on an episode, and the reason.
    page.goto(live_server + "/admin/guests")
    busy = page.locator("tr.guest-row", has_text="Ёлкина Дарья")
    expect(busy.get_by_role("button", name="Delete Ёлкина Дарья")).to_be_disabled()
    expect(busy).to_contain_text("On 1 episode")
    free = page.locator("tr.guest-row", has_text="Zoë Brontë")
    free.get_by_role("button", name="Delete Zoë Brontë").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted Zoë Brontë.")
    expect(page.locator("tr.guest-row", has_text="Zoë Brontë")).to_have_count(0)
    shot("guests-list")
