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
from werkzeug.wrappers import Response

from podcast.extensions import db
from podcast.models import Episode, Show
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, create_episode
from podcast.services.shows import update_show
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
    # The embed code's copy button needs the script: without it, only the readonly code shows.
    assert page.locator("button[data-copy]:visible").count() == 0
    assert page.locator("textarea#embed-code[readonly]").count() == 1
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


def _host_page(frames: list[str]) -> Any:
    """A WSGI app standing in for a news site: one article framing the given URLs."""
    body = "".join(
        f'<iframe src="{src}" width="100%" height="360" title="Player {n}" style="border:0">'
        "</iframe>"
        for n, src in enumerate(frames)
    )

    def app(environ: Any, start_response: Any) -> Any:
        html = f"<!doctype html><title>News</title><h1>An article</h1>{body}<p>More text.</p>"
        return Response(html, mimetype="text/html")(environ, start_response)

    return app


def test_embedded_player_plays_inside_another_sites_page(browser, live_url, episode, shots):
    embed = f"{live_url}/shows/majlis/episodes/{episode.slug}/embed"
    framed_page = f"{live_url}/shows/majlis/episodes/{episode.slug}"
    # 127.0.0.1 serves the app; "localhost" on another port is another origin (the news site).
    with serve(_host_page([embed, framed_page])) as host:  # type: ignore[arg-type]
        host_url = host.replace("127.0.0.1", "localhost")
        context = browser.new_context(viewport={"width": 720, "height": 900})
        page = context.new_page()
        violations = csp_errors(page)
        page.goto(host_url + "/")
        frame = page.frame_locator("iframe[title='Player 0']")
        player = frame.locator("audio#player")
        player.wait_for(timeout=15000)
        handle = page.frame(url=embed)
        assert handle is not None
        handle.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15000)
        assert handle.evaluate("document.getElementById('player').duration") == pytest.approx(
            episode.audio.duration_seconds, abs=0.3
        )
        assert frame.locator("h1").inner_text() == episode.title
        assert frame.locator("ol.chapter-list li").count() == 3
        # A chapter link seeks the framed player in place (site.js, no inline script).
        frame.get_by_role("link", name="0:12").click()
        handle.wait_for_function(
            "Math.abs(document.getElementById('player').currentTime - 12) < 1.5", timeout=10000
        )
        handle.evaluate("document.getElementById('player').pause()")
        assert handle.url.split("#")[0] == embed  # still the player, not the media file
        # The episode page itself refuses to be framed (frame-ancestors 'none', DENY).
        assert page.frame_locator("iframe[title='Player 1']").locator("audio").count() == 0
        shots.take(page, "embedded-in-another-site")
        assert [v for v in violations if "frame-ancestors" not in v] == []
        context.close()


def test_embed_origins_keep_the_player_off_other_sites(browser, live_url, episode, show, shots):
    embed = f"{live_url}/shows/majlis/episodes/{episode.slug}/embed"
    update_show(db.session, show, {"embed_origins": "https://www.rferl.org"})
    with serve(_host_page([embed])) as host:  # type: ignore[arg-type]
        page = browser.new_page()
        page.goto(host.replace("127.0.0.1", "localhost") + "/")
        page.wait_for_timeout(1500)
        assert page.frame_locator("iframe").locator("audio#player").count() == 0
        shots.take(page, "refused-by-frame-ancestors")
        page.close()
