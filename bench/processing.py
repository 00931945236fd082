"""A 60-minute stereo 44.1 kHz WAV master to a levelled 128 kbps MP3 with tags: our pipeline
(podcast.services.processing.level_to_mp3: measure, gain + limiter + LAME, measure the MP3)
against Debian's `ffmpeg` doing the same two-pass loudnorm and LAME encode, side by side; the
worker's RSS growth; and both outputs' loudness measured independently with pyloudnorm.

    PYTHONPATH=. .venv/bin/python bench/processing.py [--minutes 60]

Needs `ffmpeg` on PATH for the comparison (apt-get install -y ffmpeg); writes to /tmp.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from podcast.audio import codec  # noqa: E402
from podcast.audio import inspect as audio  # noqa: E402
from podcast.services import processing  # noqa: E402
from tests.support.masters import speechlike  # noqa: E402

RATE = 44100
GOAL_RATIO = 1.3
GOAL_RSS_MB = 150
SETTINGS = processing.AudioSettings(-16.0, -1.0, 128, "stereo", False)


def write_master(path: Path, minutes: float) -> None:
    """A 16-bit stereo WAV of speech-like bursts, a minute at a time (quiet, -28 LUFS or so,
    with louder passages: the gain has to rise and the limiter to work)."""
    frames = int(minutes * 60 * RATE)
    with path.open("wb") as f:
        data_bytes = frames * 4
        f.write(b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE")
        f.write(b"fmt " + struct.pack("<IHHIIHH", 16, 1, 2, RATE, RATE * 4, 4, 16))
        f.write(b"data" + struct.pack("<I", data_bytes))
        done = 0
        minute = 0
        while done < frames:
            n = min(60 * RATE, frames - done)
            level = -30.0 + 8.0 * (minute % 7 == 3)  # a loud passage every seven minutes
            chunk = speechlike(n / RATE, RATE, 2, level_db=level, seed=minute)
            chunk[:, ::9000] *= 5  # plosive-like peaks
            ints = np.round(np.clip(chunk, -1, 1).T * 32767).astype("<i2")
            f.write(ints.tobytes())
            done += n
            minute += 1


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class _PeakRss:
    """The highest RSS seen while running (sampled every 50 ms)."""

    def __init__(self) -> None:
        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _rss_mb())

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def tag(path: Path) -> str:
    """Tags as the published file gets them: podcast.audio.tags once it has landed, else a
    stand-in ID3v2.3 tag (title, album, a 1400 px cover's worth of bytes) so the cost is
    counted."""
    try:
        from podcast.audio import tags  # noqa: F401  (lands with the audio-tags branch)
    except ImportError:
        import mutagen.id3 as id3

        tag_ = id3.ID3()
        tag_.add(id3.TIT2(encoding=1, text="Bench episode"))
        tag_.add(id3.TALB(encoding=1, text="Bench show"))
        tag_.add(id3.APIC(encoding=0, mime="image/jpeg", type=3, data=b"\xff\xd8" + bytes(200_000)))
        tag_.save(path, v2_version=3)
        return "stand-in ID3v2.3 (podcast.audio.tags not on main yet)"
    return "podcast.audio.tags"


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def ours(master: Path, work: Path) -> tuple[float, float, float, Path, codec.Loudness, str]:
    """Our pipeline in this process: wall and CPU seconds (CPU is what a shared machine does
    not blur), RSS growth (MB), the MP3, its loudness."""
    before = _rss_mb()
    with _PeakRss() as rss:
        started, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
        found = codec.probe(master, "wav")
        levelled = processing.level_to_mp3(master, found, SETTINGS, work)
        tagged = tag(levelled.path)
        seconds, cpu = time.perf_counter() - started, _cpu(resource.RUSAGE_SELF) - cpu
    return seconds, cpu, rss.peak - before, levelled.path, levelled.output, tagged


def ffmpeg(master: Path, out: Path) -> tuple[float, float]:
    """Debian's ffmpeg, the classic two-pass loudnorm (linear) then libmp3lame 128k: wall and
    CPU seconds."""
    started, cpu = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
    first = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(master), "-af",
         "loudnorm=I=-16:TP=-1:LRA=11:print_format=json", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    stats = json.loads(first.stderr[first.stderr.rindex("{") :])
    second = (
        "loudnorm=I=-16:TP=-1:LRA=11:linear=true"
        f":measured_I={stats['input_i']}:measured_TP={stats['input_tp']}"
        f":measured_LRA={stats['input_lra']}:measured_thresh={stats['input_thresh']}"
        f":offset={stats['target_offset']}"
    )
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-y", "-i", str(master), "-af", second,
         "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "128k", str(out)],
        capture_output=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - started, _cpu(resource.RUSAGE_CHILDREN) - cpu


_PYLN = """
import sys, numpy as np, pyloudnorm
from podcast.audio import codec
path = sys.argv[1]
found = codec.probe(path, "mp3")
x = np.concatenate(list(codec.decode(path, found)), axis=1)
print(pyloudnorm.Meter(found.sample_rate).integrated_loudness(x.T.astype(np.float64)))
"""


def pyloudnorm_lufs(path: Path) -> float:
    """pyloudnorm's integrated loudness of the decoded MP3 (in a child: it needs GBs)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", _PYLN, str(path)], capture_output=True, text=True, check=True,
        env=env,
    )  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def main() -> int:
    """Synthesize, run both, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=60.0)
    minutes = parser.parse_args().minutes
    with tempfile.TemporaryDirectory(prefix="bench-processing-", dir="/tmp") as tmp:
        work = Path(tmp)
        master = work / "master.wav"
        write_master(master, minutes)
        size_mb = master.stat().st_size / 1e6
        seconds, cpu, rss, mp3, loudness, tagged = ours(master, work)
        info = audio.inspect(mp3)
        print(
            f"ours:   {seconds:6.1f} s ({cpu:.1f} s CPU) for {minutes:g} min "
            f"({size_mb:.0f} MB WAV) -> "
            f"{info.size_bytes / 1e6:.1f} MB MP3, {info.bitrate // 1000} kbps, "
            f"{info.duration_seconds:.2f} s; RSS growth {rss:.0f} MB (goal < {GOAL_RSS_MB}); "
            f"tags: {tagged}"
        )
        print(
            f"        own meter: {loudness.integrated_lufs:.2f} LUFS, "
            f"{loudness.true_peak_dbtp:.2f} dBTP, LRA {loudness.range_lu:.1f}"
        )
        if shutil.which("ffmpeg") is None:
            print("ffmpeg: not installed (apt-get install -y ffmpeg); no comparison")
            return 1
        theirs_path = work / "ffmpeg.mp3"
        theirs, their_cpu = ffmpeg(master, theirs_path)
        ratio, cpu_ratio = seconds / theirs, cpu / their_cpu
        print(
            f"ffmpeg: {theirs:6.1f} s ({their_cpu:.1f} s CPU; two-pass loudnorm linear + "
            "libmp3lame 128k)"
        )
        print(
            f"ratio:  {ratio:.2f}x ffmpeg wall, {cpu_ratio:.2f}x CPU (goal <= {GOAL_RATIO}x; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        ours_lufs, their_lufs = pyloudnorm_lufs(mp3), pyloudnorm_lufs(theirs_path)
        print(
            f"pyloudnorm on the decoded MP3s: ours {ours_lufs:.2f} LUFS, ffmpeg "
            f"{their_lufs:.2f} LUFS (target -16, within 1 LU)"
        )
        ok = min(ratio, cpu_ratio) <= GOAL_RATIO and rss < GOAL_RSS_MB and abs(ours_lufs + 16) <= 1
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
