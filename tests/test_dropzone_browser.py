"""The episode form's drop zones in Chromium: a file dropped on the audio zone uploads as one
chosen with the picker, the zone shows the dragover state and the file's name, and the input
is still the keyboard's control."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from support.data import COVER, SAMPLE_MP3
from support.live_server import log_in

pytestmark = pytest.mark.browser

# Drop a file (bytes given as base64) on the element: dragenter, dragover, then drop.
DROP = """([selector, name, type, data, stop]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type }));
  const target = document.querySelector(selector);
  const init = { bubbles: true, cancelable: true, dataTransfer: transfer };
  target.dispatchEvent(new DragEvent("dragenter", init));
  target.dispatchEvent(new DragEvent("dragover", init));
  const over = target.closest(".dropzone").classList.contains("dropzone--over");
  if (stop) return over;
  const drop = new DragEvent("drop", init);
  target.dispatchEvent(drop);
  return [over, drop.defaultPrevented];
}"""


def test_a_dropped_audio_file_uploads_like_a_chosen_one(
    live_server, browser_page, screenshot, show, make_user
) -> None:
    from playwright.sync_api import expect

    make_user("producer@example.org")
    page: Any = browser_page
    log_in(page, live_server)
    page.goto(live_server + "/admin/episodes/new")
    zones = page.locator(".dropzone")
    expect(zones).to_have_count(3)  # audio, image, transcript
    audio = base64.b64encode(SAMPLE_MP3.read_bytes()).decode()
    args = ["#audio-field .dropzone", SAMPLE_MP3.name, "audio/mpeg", audio]
    assert page.evaluate(DROP, [*args, True]) is True  # the dragover state, before the drop
    screenshot("dragover")
    over, taken = page.evaluate(DROP, [*args, False])
    assert over and taken
    expect(page.locator("#audio-field .dropzone")).not_to_have_class("dropzone dropzone--over")
    expect(page.locator("#audio-field .dropzone__name")).to_have_text(f"Chosen: {SAMPLE_MP3.name}")
    # The same upload as from the picker: progress to 100 %, then the file read and kept.
    expect(page.locator("#audio-progress-text")).to_contain_text("100%")
    expect(page.locator("#audio-filename")).to_have_text(SAMPLE_MP3.name)
    expect(page.locator("#audio-duration")).to_have_text("0:17")
    assert page.locator("#staged_audio_id").input_value().isdigit()
    screenshot("dropped")

    # The picker still works through the zone, and the zone names the file chosen.
    page.get_by_label("Episode image (square JPEG or PNG, 1400 to 3000 px)").set_input_files(
        str(COVER)
    )
    image_zone = page.locator(".dropzone", has=page.locator("input[name=image]"))
    expect(image_zone.locator(".dropzone__name")).to_have_text(f"Chosen: {COVER.name}")

    # Keyboard: Tab reaches the transcript's input inside its zone, which shows the focus.
    page.get_by_label("Episode image (square JPEG or PNG, 1400 to 3000 px)").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.name")
    assert focused in {"remove_image", "transcript"}, focused
    if focused != "transcript":
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "transcript"
    assert page.evaluate("document.activeElement.closest('.dropzone') !== null")
    outline = page.evaluate(
        "getComputedStyle(document.activeElement.closest('.dropzone')).outlineStyle"
    )
    assert outline == "solid"

    page.get_by_label("Title").fill("Dropped In")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_contain_text("Dropped In")
    expect(page.locator("#audio-info")).to_contain_text(SAMPLE_MP3.name)
    screenshot("saved")
