"""Time the upload pipeline against boto3's upload_file (the floor) on a moto S3 server.

Usage: .venv/bin/python bench/upload.py [--runs N] [--minutes M]

A ~100 MB, 100-minute MP3 goes through uploads.ingest_audio -> S3Storage.put, and the same file
through boto3's upload_file, to the same moto server (its own process, on a free port). Each run
happens in a fresh worker process, so the peak RSS growth it reports belongs to that upload alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds inspect.py, which would shadow the stdlib module: put the repository root (and
# tests/, for the MP3 synthesizer and the moto launcher) in its place.
sys.path[0:1] = [str(ROOT), str(ROOT / "tests")]

TIME_GOAL = 1.3  # pipeline time / floor time
MEMORY_GOAL_MB = 64
INSPECT_GOAL_S = 0.5
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker(mode: str, path: str, endpoint: str, bucket: str) -> None:
    """One upload in this fresh process; prints seconds and peak RSS growth as JSON."""
    import boto3
    from botocore.config import Config

    from podcast.services.uploads import Upload, ingest_audio
    from podcast.storage import S3Storage

    storage = S3Storage(bucket, "bench", endpoint_url=endpoint)
    plain = boto3.client(
        "s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"})
    )
    # Warm both clients (connection, credentials) so the timing is the upload alone.
    storage.check()
    plain.head_bucket(Bucket=bucket)
    before = _peak_rss_mb()
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    if mode == "pipeline":
        with open(path, "rb") as stream:
            asset = ingest_audio(
                storage, Upload(stream, "bench.mp3"), guid=str(uuid.uuid4()), max_bytes=2**31
            )
        detail = {"duration_s": asset.duration_seconds, "size": asset.size_bytes}
    else:
        key = f"floor/{uuid.uuid4()}.mp3"
        plain.upload_file(path, bucket, key)
        detail: dict[str, float] = {}
    seconds = time.perf_counter() - started
    detail["cpu_s"] = _cpu_seconds() - cpu_before
    # Keep the server's state the same for every run: moto holds objects in memory.
    if mode == "pipeline":
        storage.delete(asset.key)
    else:
        plain.delete_object(Bucket=bucket, Key=key)
    print(json.dumps({"seconds": seconds, "rss_growth_mb": _peak_rss_mb() - before, **detail}))


def _run_worker(mode: str, path: Path, endpoint: str, bucket: str) -> dict[str, float]:
    env = {**os.environ, **CREDENTIALS}
    out = subprocess.run(
        [sys.executable, __file__, "--worker", mode, str(path), endpoint, bucket],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _inspect_figure() -> str:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "audio_inspect.py")], capture_output=True, text=True
    )
    return out.stdout.strip() or out.stderr.strip()


def _fig(values: list[float]) -> str:
    return f"{statistics.median(values):>9.2f}{min(values):>9.2f}"


def main() -> int:
    """Synthesize the file, start moto, alternate floor and pipeline runs, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--minutes", type=int, default=100)
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)

    from support import mpeg_synth
    from support.s3 import MotoProcess, s3_client

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.mp3"
        synth = mpeg_synth.write_cbr_minutes(path, args.minutes)
        server = MotoProcess()
        try:
            bucket = "bench"
            s3_client(server.endpoint).create_bucket(Bucket=bucket)
            runs: dict[str, list[dict[str, float]]] = {"floor": [], "pipeline": []}
            for _ in range(args.runs):
                for mode in ("floor", "pipeline"):  # alternate, so drift hits both alike
                    runs[mode].append(_run_worker(mode, path, server.endpoint, bucket))
        finally:
            server.stop()

    floors = [r["seconds"] for r in runs["floor"]]
    pipes = [r["seconds"] for r in runs["pipeline"]]
    # Each pipeline run is paired with the floor run just before it, so that load on the machine
    # weighs on both alike; the goal is judged on the median of these paired ratios.
    ratio = statistics.median(p / f for p, f in zip(pipes, floors, strict=True))
    pipe_rss = max(r["rss_growth_mb"] for r in runs["pipeline"])
    floor_rss = max(r["rss_growth_mb"] for r in runs["floor"])
    read = runs["pipeline"][0]["duration_s"]
    print(
        f"file: {synth.size / 1e6:.1f} MB, {synth.seconds / 60:.0f} min MP3 "
        f"(pipeline reads {read / 60:.2f} min); {args.runs} runs each"
    )
    print(f"{'figure':<36}{'median':>9}{'best':>9}{'goal':>12}")
    print(f"{'boto3 upload_file (floor), s':<36}{_fig(floors)}{'':>12}")
    print(f"{'ingest_audio -> S3Storage.put, s':<36}{_fig(pipes)}{'':>12}")
    print(f"{'pipeline / floor (paired)':<36}{ratio:>8.2f}x{min(pipes) / min(floors):>8.2f}x"
          f"{f'<= {TIME_GOAL}x':>12}")  # fmt: skip
    print(f"{'pipeline peak RSS growth (max), MB':<36}{pipe_rss:>9.1f}{'':>9}"
          f"{f'< {MEMORY_GOAL_MB}':>12}")  # fmt: skip
    print(f"{'floor peak RSS growth (max), MB':<36}{floor_rss:>9.1f}")
    pairs = zip(floors, pipes, strict=True)
    print("runs, floor/pipeline s: " + ", ".join(f"{f:.2f}/{p:.2f}" for f, p in pairs))
    cpu = {m: statistics.median(r["cpu_s"] for r in runs[m]) for m in runs}
    print(
        f"worker CPU time (median): floor {cpu['floor']:.2f} s, pipeline {cpu['pipeline']:.2f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    inspect_line = _inspect_figure()
    print(inspect_line)
    ok = ratio <= TIME_GOAL and pipe_rss < MEMORY_GOAL_MB and abs(read - synth.seconds) < 1
    return 0 if ok and "goal" in inspect_line else 1


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:])
    else:
        sys.exit(main())
