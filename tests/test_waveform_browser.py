"""The waveform over the episode page's player in Debian's Chromium: drawn without JavaScript,
no CSP violation with it, what has played shaded as it plays, dark mode, a 360 px phone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from flask import Flask
from support.data import SAMPLE_MP3
from support.live_server import CHROMIUM, CHROMIUM_ARGS, screenshotter, serve

from podcast.audio.waveform import peaks_from_samples
from podcast.extensions import db
from podcast.models import Episode

pytestmark = pytest.mark.browser


def _peaks() -> dict[str, Any]:
    """Peaks of the sample episode, decoded here with PyAV (the service's decoder is codec)."""
    with av.open(str(SAMPLE_MP3)) as container:
        stream = container.streams.audio[0]
        chunks = [
            frame.to_ndarray().astype(np.float32).reshape(len(frame.layout.channels), -1).mean(0)
            for frame in container.decode(stream)
        ]
        return peaks_from_samples(chunks, stream.rate)


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    with serve(app) as url:
        app.config["PODCAST_SITE_URL"] = url
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def episode(make_episode: Any) -> Episode:
    episode = make_episode("Waves over the player")
    episode.audio.waveform = _peaks()
    db.session.commit()
    return episode


def _until(page: Any, expression: str, timeout: float = 15.0) -> None:
    """Poll an expression with evaluate (a polling wait_for_function runs eval, which the
    page's CSP rightly refuses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            pytest.fail(f"never true: {expression}")
        page.wait_for_timeout(100)


def _csp_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return errors


def test_the_waveform_shows_without_javascript_on_a_phone(
    browser: Any, live_url: str, episode: Episode, request: pytest.FixtureRequest
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 780})
    page = context.new_page()
    page.goto(f"{live_url}/shows/majlis/episodes/{episode.slug}")
    wave = page.locator("section.player svg.waveform")
    assert wave.is_visible()
    box, player = wave.bounding_box(), page.locator("audio#player").bounding_box()
    assert box["height"] >= 30 and abs(box["width"] - player["width"]) < 2
    assert box["y"] + box["height"] <= player["y"]  # above the controls, not over them
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator(".waveform__progress").get_attribute("width") == "0"
    screenshotter(page, request.node.name)("no-javascript-phone")
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_playing_shades_the_waveform_with_no_csp_violation(
    browser: Any, live_url: str, episode: Episode, scheme: str, request: pytest.FixtureRequest
) -> None:
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1024, "height": 800})
    page = context.new_page()
    violations = _csp_errors(page)
    page.goto(f"{live_url}/shows/majlis/episodes/{episode.slug}")
    _until(page, "document.getElementById('player').readyState >= 1")
    progress = page.locator(".waveform__progress")
    page.evaluate("document.getElementById('player').currentTime = 9")
    _until(page, "Number(document.querySelector('.waveform__progress').getAttribute('width')) > 0")
    width = float(progress.get_attribute("width"))
    assert width == pytest.approx(200 * 9 / episode.audio.duration_seconds, abs=4)

    # A click on the waveform a quarter of the way in seeks there.
    box = page.locator("svg.waveform").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 4, box["y"] + box["height"] / 2)
    _until(
        page,
        f"Math.abs(document.getElementById('player').currentTime - "
        f"{episode.audio.duration_seconds / 4}) < 0.6",
    )
    colours = page.evaluate(
        "[getComputedStyle(document.querySelector('.waveform__played')).stroke,"
        " getComputedStyle(document.body).backgroundColor]"
    )
    assert colours[0] != colours[1]
    expected = "rgb(140, 184, 255)" if scheme == "dark" else "rgb(10, 88, 184)"
    assert colours[0] == expected  # the accent of the scheme
    screenshotter(page, request.node.name)(f"played-{scheme}")
    assert violations == []
    context.close()
