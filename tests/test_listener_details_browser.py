"""The listeners' pages in Chromium under another host name than PODCAST_SITE_URL's, and the
small things a reader notices: artwork and audio load, excerpts read as written, "Episode 4"
stays on one line, the page's duration is the player's."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from support.data import COVER
from support.live_server import serve

from podcast.extensions import db
from podcast.models import Episode, Show
from podcast.services.shows import set_artwork
from podcast.services.uploads import Upload

pytestmark = pytest.mark.browser

# Collects what the page's Content-Security-Policy refused, before any script of the page runs.
WATCH_CSP = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__refused.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def localhost_site(app: Flask) -> Iterator[str]:
    """The app on 127.0.0.1:<port> while its PODCAST_SITE_URL says localhost:<port>."""
    with serve(app) as url:
        port = url.rsplit(":", 1)[1]
        app.config["PODCAST_SITE_URL"] = f"http://localhost:{port}"
        yield url


@pytest.fixture
def episode(show: Show, storage: Any, make_episode: Any) -> Episode:
    """A published episode with a number, notes whose first sentence ends in a bold word, and
    the show's cover art."""
    set_artwork(db.session, storage, show, Upload(io.BytesIO(COVER.read_bytes()), "cover.jpg"))
    return make_episode(
        "Silence and Impunity",
        number="4",
        description="Reporting from **Uzbekistan**. She was [there](https://example.org).",
    )


def _open(page: Any, url: str, refused: list[str]) -> None:
    page.add_init_script(WATCH_CSP)
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(url)


def test_artwork_and_audio_load_under_another_host_name(
    localhost_site, browser_page, screenshot, episode
) -> None:
    page: Any = browser_page
    refused: list[str] = []
    _open(page, localhost_site + "/", refused)
    cover = page.locator("img.show__art")
    cover.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('img.show__art').complete")
    assert cover.evaluate("img => img.naturalWidth") > 0
    screenshot("home")

    page.goto(f"{localhost_site}/shows/majlis/episodes/{episode.slug}")
    page.wait_for_function(
        "document.getElementById('player').readyState >= 1"
        " || document.getElementById('player').error !== null"
    )
    assert page.evaluate("document.getElementById('player').error") is None
    assert page.evaluate("document.getElementById('player').duration") > 0
    screenshot("episode")

    page.goto(f"{localhost_site}/shows/majlis/episodes/{episode.slug}/embed")
    page.wait_for_function(
        "document.getElementById('player').readyState >= 1"
        " || document.getElementById('player').error !== null"
    )
    assert page.evaluate("document.getElementById('player').duration") > 0
    assert refused == [] and page.evaluate("window.__refused") == []


def test_an_excerpt_has_no_space_where_bold_or_a_link_was(live_server, browser_page, episode):
    page: Any = browser_page
    page.goto(live_server + "/")
    card = page.locator("article.card", has_text="Silence and Impunity")
    summary = card.locator(".card__summary").inner_text()
    assert "Uzbekistan. She was there." in summary, summary


def test_episode_4_stays_on_one_line_in_a_narrow_column(live_server, browser_page, episode):
    page: Any = browser_page
    page.goto(live_server + "/")
    card = page.locator("article.card", has_text="Silence and Impunity")
    number = card.locator(".meta span", has_text="Episode 4").last
    # Squeeze the line to a pixel: every break opportunity is taken, yet the two words stay
    # on one line box.
    number.evaluate("el => { el.parentElement.style.width = '1px'; }")
    assert number.evaluate("el => el.getClientRects().length") == 1


def test_the_page_s_duration_is_the_player_s(live_server, browser_page, episode) -> None:
    page: Any = browser_page
    page.goto(f"{live_server}/shows/majlis/episodes/{episode.slug}")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    seconds = math.floor(page.evaluate("document.getElementById('player').duration"))
    player_says = f"{seconds // 60}:{seconds % 60:02d}"  # what Chromium's player shows
    meta = page.locator("header .meta").inner_text()
    assert player_says in meta, (player_says, meta)
