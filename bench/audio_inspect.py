"""Time `inspect` on a synthesized 2-hour header-less VBR MP3, with mutagen alone for comparison."""

from __future__ import annotations

import os
import sys

# Run as a script: make the repository root importable (for tests.support.mpeg_synth).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import mutagen  # noqa: E402

from podcast.audio.inspect import inspect  # noqa: E402
from tests.support.mpeg_synth import samples_per_frame, vbr_bitrates, write_mp3  # noqa: E402

HOURS = 2
GOAL = 0.5


def _median_seconds(func: object, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    """Write the file, time both readers, print the figures."""
    frames = round(HOURS * 3600 * 44100 / samples_per_frame("1"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "two-hours-vbr.mp3"
        synth = write_mp3(path, vbr_bitrates("1", frames, low=0, high=8), channels=1)
        size_mb = synth.size / 1e6
        info = inspect(path)
        ours = _median_seconds(lambda: inspect(path))
        theirs = _median_seconds(lambda: mutagen.File(path))
        said = mutagen.File(path).info.length
    print(
        f"inspect 2h VBR no header ({size_mb:.0f} MB, {synth.frames} frames): {ours:.2f} s "
        f"(goal < {GOAL} s), reads {info.duration_seconds:.0f} s; "
        f"mutagen alone: {theirs:.3f} s but says {said:.0f} s (truth {synth.seconds:.0f} s)"
    )
    return 0 if ours < GOAL and abs(info.duration_seconds - synth.seconds) < 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
