"""The listeners' pages in Debian's Chromium: the player, chapters, transcript, a 360 px phone."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from support.data import SAMPLE_MP3
from support.live_server import CHROMIUM, CHROMIUM_ARGS, screenshotter, serve

from podcast.extensions import db
from podcast.models import Episode, Show
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, create_episode
from podcast.services.uploads import Upload

pytestmark = pytest.mark.browser

VTT = """WEBVTT

00:00:00.000 --> 00:00:05.000
<v Bruce Pannier>Welcome to Majlis, the Central Asia podcast.

00:00:05.000 --> 00:00:11.000
<v Janette Akhilgova>The report covers five countries.
"""


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The app served on a free port in a thread; its canonical URL points there."""
    with serve(app) as url:
        app.config["PODCAST_SITE_URL"] = url  # media URLs are absolute on the site URL
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


class Shots:
    """Numbered screenshots under test-artifacts/<test-name>/, one folder per test."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.shooters: dict[int, Any] = {}

    def take(self, page: Any, step: str) -> None:
        """Save a full-page screenshot of this step."""
        if id(page) not in self.shooters:
            self.shooters[id(page)] = screenshotter(page, self.name)
        self.shooters[id(page)](step)


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    """Screenshots for this test."""
    return Shots(request.node.name.replace("[", "-").replace("]", ""))


@pytest.fixture
def episode(show: Show, storage: Any, make_guest: Any) -> Episode:
    """A published episode with chapters, a transcript and a guest."""
    guest = make_guest("Janette Akhilgova", bio="Eurasia consultant at **Equality Now**.")
    data = parse_episode_input(
        {
            "title": "Silence and Impunity: Sexual Violence in Central Asia",
            "summary": "Three women explain why laws fail survivors.",
            "description": "A new report by **Equality Now** documents the gaps.",
            "status": "published",
            "guests": [guest.id],
            "chapters": [
                {"start": 0, "title": "Introduction"},
                {"start": 6, "title": "What the report found"},
                {"start": 12, "title": "Laws, courts and survivors"},
            ],
        },
        partial=False,
        timezone=show.timezone,
    )
    files = Attachments(
        audio=Upload(io.BytesIO(SAMPLE_MP3.read_bytes()), SAMPLE_MP3.name),
        transcript=Upload(io.BytesIO(VTT.encode()), "transcript.vtt"),
    )
    return create_episode(db.session, storage, show, data, files, max_bytes=2**30)


def csp_errors(page: Any) -> list[str]:
    """Collect console messages that report a Content-Security-Policy violation."""
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return errors


def test_player_loads_metadata_and_chapters_seek(browser, live_url, episode, shots):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    violations = csp_errors(page)
    page.goto(f"{live_url}/episodes/{episode.slug}")
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15000)
    duration = page.evaluate("document.getElementById('player').duration")
    assert duration == pytest.approx(episode.audio.duration_seconds, abs=0.25)
    assert duration == pytest.approx(17.7, abs=0.3)
    shots.take(page, "episode-loaded")

    page.get_by_role("link", name="0:12").first.click()
    page.wait_for_function(
        "Math.abs(document.getElementById('player').currentTime - 12) < 1.5", timeout=10000
    )
    page.evaluate("document.getElementById('player').pause()")
    assert 11.9 <= page.evaluate("document.getElementById('player').currentTime") < 14
    assert page.url.endswith("#t=12")
    shots.take(page, "after-chapter-click")

    transcript = page.locator("section.transcript")
    assert transcript.is_visible()
    assert "Welcome to Majlis, the Central Asia podcast." in transcript.inner_text()
    assert "Janette Akhilgova" in transcript.inner_text()
    page.locator("section.transcript a.seek").nth(1).click()
    page.wait_for_function(
        "Math.abs(document.getElementById('player').currentTime - 5) < 1.5", timeout=10000
    )
    assert violations == []
    context.close()


def test_shared_time_link_starts_there(browser, live_url, episode):
    page = browser.new_page()
    page.goto(f"{live_url}/episodes/{episode.slug}#t=6")
    page.wait_for_function(
        "Math.abs(document.getElementById('player').currentTime - 6) < 0.5", timeout=15000
    )
    assert page.evaluate("document.getElementById('player').paused")


def test_episode_page_plays_without_javascript(browser, live_url, episode, shots):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 780})
    page = context.new_page()
    page.goto(f"{live_url}/episodes/{episode.slug}")
    audio = page.locator("audio#player")
    assert audio.get_attribute("controls") is not None
    href = page.get_by_role("link", name="0:06").first.get_attribute("href")
    assert href == audio.get_attribute("src") + "#t=6"
    assert page.locator("section.chapters li").count() == 3
    assert page.get_by_text("Laws, courts and survivors").is_visible()
    assert page.locator("section.transcript").is_visible()
    assert page.locator("button[data-copy]").count() == 0  # the copy button is on the home page
    shots.take(page, "no-javascript")
    context.close()


@pytest.mark.parametrize(
    "path",
    ["/", "/shows/majlis/episodes/{slug}", "/guests/janette-akhilgova"],
    ids=["home", "episode", "guest"],
)
def test_phone_width_has_no_horizontal_scroll(browser, live_url, episode, shots, path):
    context = browser.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=2)
    page = context.new_page()
    violations = csp_errors(page)
    page.goto(live_url + path.format(slug=episode.slug))
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert violations == []
    shots.take(page, "phone-360")
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != light
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shots.take(page, "phone-360-dark")
    context.close()


def test_copy_button_copies_the_feed_address(browser, live_url, episode, shots):
    context = browser.new_context(viewport={"width": 800, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_url)
    page = context.new_page()
    page.goto(live_url + "/")
    button = page.get_by_role("button", name="Copy")
    assert button.is_visible()
    button.click()
    page.get_by_text("Copied the feed address.").wait_for(timeout=5000)
    assert page.evaluate("navigator.clipboard.readText()") == f"{live_url}/feed.xml"
    page.keyboard.press("Tab")
    shots.take(page, "home-copied")
    context.close()
