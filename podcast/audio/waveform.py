"""The waveform the episode page draws behind its player: peaks of the decoded samples, computed
once at processing time from a stream of chunks (memory bounded, whatever the length), kept as
a small JSON value, and drawn as one SVG path.

`peaks_from_samples` takes what the decoder (podcast.audio.codec, the only PyAV importer)
yields; this module never decodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

VERSION = 1
POINTS = 1000
FIRST_BIN_SECONDS = 0.01  # bins start at 10 ms and double as the audio goes on
BARS = 200  # bars the page draws
HEIGHT = 40  # the SVG's height in its own units


class _Bins:
    """Peak (largest |sample|) per bin of `size` samples; when there are twice `points` bins,
    neighbours merge and the size doubles, so at most 2 * points floats are ever held."""

    def __init__(self, size: int, points: int) -> None:
        self.size = size
        self.points = points
        self.done = np.zeros(0, dtype=np.float32)
        self.partial = 0.0  # peak of the bin being filled
        self.filled = 0  # samples in it
        self.samples = 0

    def add(self, chunk: np.ndarray) -> None:
        """Take the next samples."""
        data = np.abs(np.asarray(chunk, dtype=np.float32).reshape(-1))
        self.samples += data.size
        while data.size:
            if self.filled or data.size < self.size:  # top up the bin being filled
                take = min(self.size - self.filled, data.size)
                self.partial = max(self.partial, float(data[:take].max()))
                self.filled += take
                data = data[take:]
                if self.filled == self.size:
                    peak, self.partial, self.filled = self.partial, 0.0, 0
                    self._push(np.array([peak], dtype=np.float32))
                continue
            whole = (data.size // self.size) * self.size
            self._push(data[:whole].reshape(-1, self.size).max(axis=1))
            data = data[whole:]

    def _push(self, peaks: np.ndarray) -> None:
        self.done = np.concatenate([self.done, peaks])
        while self.done.size >= 2 * self.points:
            pairs = self.done.size // 2
            merged = self.done[: 2 * pairs].reshape(-1, 2).max(axis=1)
            if self.done.size % 2:  # the odd one joins the bin being filled
                self.partial = max(self.partial, float(self.done[-1]))
                self.filled += self.size
            self.done = merged
            self.size *= 2

    def peaks(self) -> np.ndarray:
        """Every bin's peak, the one being filled included."""
        if self.filled:
            return np.concatenate([self.done, np.array([self.partial], dtype=np.float32)])
        return self.done


def _reduced(values: np.ndarray, count: int) -> np.ndarray:
    """At most `count` maxima of consecutive runs of values, each run the same share of time."""
    if values.size <= count:
        return values
    edges = (np.arange(count) * values.size) // count  # strictly increasing: size > count
    return np.maximum.reduceat(values, edges)


def peaks_from_samples(
    chunks: Iterable[np.ndarray], sample_rate: int, *, points: int = POINTS
) -> dict[str, Any]:
    """The waveform of mono float samples (-1..1) streamed in chunks: {"version", "points"
    (at most `points` ints 0-255, the peak of each stretch of time), "duration" (s)}."""
    if sample_rate <= 0 or points <= 0:
        raise ValueError("sample_rate and points must be positive")
    bins = _Bins(max(1, int(sample_rate * FIRST_BIN_SECONDS)), points)
    for chunk in chunks:
        bins.add(chunk)
    peaks = bins.peaks()
    peaks = _reduced(peaks, points)
    scaled = np.clip(np.rint(np.nan_to_num(peaks) * 255), 0, 255).astype(int)
    return {
        "version": VERSION,
        "points": [int(v) for v in scaled],
        "duration": round(bins.samples / sample_rate, 3),
    }


def readable(waveform: Any) -> list[int] | None:
    """The points of a stored waveform, or None when it is missing or not one we can draw."""
    if not isinstance(waveform, dict) or waveform.get("version") != VERSION:
        return None
    points = waveform.get("points")
    if not isinstance(points, list) or not points:
        return None
    if not all(isinstance(v, int) and 0 <= v <= 255 for v in points):
        return None
    return points


@dataclass(frozen=True)
class Drawing:
    """An SVG path of vertical bars (one unit apart, centred on the middle line) and the size
    of the viewBox it is drawn in."""

    path: str
    width: int
    height: int


def drawing(waveform: Any, *, bars: int = BARS, height: int = HEIGHT) -> Drawing | None:
    """At most `bars` bars scaled to the loudest point; None when there is nothing to draw."""
    points = readable(waveform)
    if points is None or max(points) == 0:
        return None
    heights = _reduced(np.array(points, dtype=np.float32), bars)
    loudest = max(points)
    middle = height / 2
    parts = []
    for x, value in enumerate(heights):
        half = max(0.5, float(value) / loudest * (middle - 1))
        parts.append(f"M{x}.5 {middle - half:.1f}V{middle + half:.1f}")
    return Drawing("".join(parts), len(heights), height)
