"""The waveform behind the episode page's player: peaks computed from streamed samples (the
shape of the audio, in a small JSON value, whatever the length), drawn as an inline SVG; a page
without peaks looks as it did."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import av
import numpy as np
import pytest
from flask import Flask
from lxml import html
from support.data import SAMPLE_MP3

from podcast.audio.waveform import drawing, peaks_from_samples
from podcast.extensions import db
from podcast.models import Episode

RATE = 44100


def _chunks(signal: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for start in range(0, signal.size, size):
        yield signal[start : start + size]


def _silence_then_tone(seconds: float = 10.0) -> np.ndarray:
    """The first half silent, the second a 440 Hz tone at half scale."""
    t = np.arange(int(RATE * seconds), dtype=np.float32) / RATE
    tone = 0.5 * np.sin(2 * np.pi * 440 * t).astype(np.float32)
    tone[: t.size // 2] = 0.0
    return tone


@pytest.mark.parametrize("chunk", [1152, 4096, 100_003])
def test_silence_then_a_tone_shows_the_shape(chunk: int) -> None:
    peaks = peaks_from_samples(_chunks(_silence_then_tone(), chunk), RATE, points=200)
    points = peaks["points"]
    assert peaks["version"] == 1 and peaks["duration"] == pytest.approx(10.0)
    assert 100 <= len(points) <= 200
    half = len(points) // 2
    assert max(points[: half - 1]) == 0  # silence
    assert min(points[half + 1 :]) >= 120  # the tone: about half of 255
    assert max(points) <= 128
    json.dumps(peaks)  # JSON-able as it is


def test_the_chunking_does_not_change_the_result() -> None:
    signal = _silence_then_tone(3.0)
    whole = peaks_from_samples([signal], RATE)
    assert peaks_from_samples(_chunks(signal, 777), RATE) == whole
    assert peaks_from_samples(_chunks(signal, 1), RATE, points=50)["duration"] == 3.0


def test_a_long_stream_stays_small() -> None:
    """Two hours streamed in decoder-sized chunks: the result is 1000 points, about 4 kB."""
    block = 0.25 * np.ones(RATE * 60, dtype=np.float32)

    def two_hours() -> Iterator[np.ndarray]:
        for minute in range(120):
            yield from _chunks(block * (1 if minute % 2 else 0.5), RATE * 10)

    peaks = peaks_from_samples(two_hours(), RATE)
    assert len(peaks["points"]) == 1000
    assert peaks["duration"] == pytest.approx(7200.0)
    assert len(json.dumps(peaks)) < 5000
    assert set(peaks["points"]) == {32, 64}  # 0.125 and 0.25 of full scale


def test_empty_and_bad_input() -> None:
    assert peaks_from_samples([], RATE) == {"version": 1, "points": [], "duration": 0.0}
    assert drawing({"version": 1, "points": [], "duration": 0.0}) is None
    assert drawing(None) is None and drawing({"version": 2, "points": [1]}) is None
    assert drawing({"version": 1, "points": [0, 0]}) is None  # pure silence: nothing to draw
    with pytest.raises(ValueError):
        peaks_from_samples([], 0)


def _decoded(path: Any) -> tuple[Iterator[np.ndarray], int]:
    """A test-only decode with PyAV (the service decodes in podcast.audio.codec)."""
    container = av.open(str(path))
    stream = container.streams.audio[0]
    rate = stream.rate

    def chunks() -> Iterator[np.ndarray]:
        with container:
            for frame in container.decode(stream):
                samples = frame.to_ndarray().astype(np.float32)
                if frame.format.is_planar:
                    yield samples.mean(axis=0)
                else:
                    yield samples.reshape(-1, len(frame.layout.channels)).mean(axis=1)

    return chunks(), rate


def test_real_samples_from_the_sample_episode() -> None:
    chunks, rate = _decoded(SAMPLE_MP3)
    peaks = peaks_from_samples(chunks, rate)
    assert peaks["duration"] == pytest.approx(17.725, abs=0.05)  # manifest.json's decoded length
    assert 0 < max(peaks["points"]) <= 255
    assert drawing(peaks) is not None


@pytest.fixture
def episode_with_peaks(make_episode: Callable[..., Episode]) -> Episode:
    episode = make_episode("Waves")
    chunks, rate = _decoded(SAMPLE_MP3)
    assert episode.audio is not None
    episode.audio.waveform = peaks_from_samples(chunks, rate)
    db.session.commit()
    return episode


def _page(client: Any, episode: Episode) -> Any:
    response = client.get(f"/shows/{episode.show.handle}/episodes/{episode.slug}")
    assert response.status_code == 200
    return html.fromstring(response.data)


def test_the_episode_page_draws_the_waveform_behind_the_player(
    app: Flask, client: Any, episode_with_peaks: Episode
) -> None:
    page = _page(client, episode_with_peaks)
    (svg,) = page.xpath("//section[@class='player']//svg")
    assert svg.get("aria-hidden") == "true"  # decoration: the player itself is the control
    assert svg.get("style") is None and not page.xpath("//section[@class='player']//*[@style]")
    width = int(svg.get("viewbox").split()[2])  # the HTML parser lowercases attribute names
    assert width == 200
    (bars,) = svg.xpath(".//*[local-name()='path' and contains(@class, 'waveform__bars')]")
    assert bars.get("d").count("M") == width
    assert page.xpath("//audio[@id='player']")


def test_a_page_without_peaks_is_as_before(
    app: Flask, client: Any, make_episode: Callable[..., Episode]
) -> None:
    page = _page(client, make_episode("No waves"))
    assert page.xpath("//section[@class='player']//svg") == []
    assert page.xpath("//section[@class='player' or contains(@class, 'player--wave')]")
    assert not page.xpath("//*[contains(@class, 'waveform')]")
