"""A big catalogue's feed: 5,000 episodes (about 19 MB), measured in a fresh worker process.

Run from the repository root:  .venv/bin/python bench/feed_big.py [--episodes 5000] [--runs 5]

It seeds one show of N published episodes (bench/network.py's seed: own audio, chapters on
every third, a transcript on every second, 2 guests each), then starts a new Python process
that, like a gunicorn worker after a restart, imports the app, answers one small request, and
then times:
- the first render of /feed.xml and the growth of the process's peak RSS (VmHWM) it causes;
- the rebuild after an edit of one episode (median of --runs edits);
- the floor beside it: a bare feedgen render of the same 5,000 items, all fields precomputed.
Goals (issue 18): rebuild under 50 ms; first render under 1 s with RSS growth under 60 MB.
"""

from __future__ import annotations

import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

REBUILD_GOAL_MS = 50
FIRST_GOAL_MS = 1000
RSS_GOAL_MB = 60


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def worker(database_url: str, tmp: Path, runs: int) -> dict[str, Any]:
    """In this fresh process: first render, RSS growth, rebuilds after edits, the floor."""
    from bench.feed import floor_render
    from bench.network import make_app
    from podcast.current import feed_cache
    from podcast.extensions import db
    from podcast.models import Episode, utcnow
    from podcast.services.episode_input import parse_episode_input
    from podcast.services.episodes import update_episode

    app = make_app(database_url, tmp)
    client = app.test_client()
    assert client.get("/guests/no-such-guest").status_code == 404  # imports, connections
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = _status_kb("VmHWM")
    t0 = time.perf_counter()
    response = client.get("/feed.xml")
    first = time.perf_counter() - t0
    growth = (_status_kb("VmHWM") - before) / 1024
    assert response.status_code == 200
    size = len(response.data)
    storage = app.extensions["podcast.storage"]
    rebuilds = []
    with app.app_context():
        ids = db.session.scalars(
            db.select(Episode.id).where(Episode.publish_at <= utcnow()).order_by(Episode.id)
        ).all()
        for n in range(runs):
            episode = db.session.get_one(Episode, ids[(n * 997) % len(ids)])
            data = parse_episode_input({"title": f"Edited {n}"}, partial=True, timezone="UTC")
            update_episode(db.session, storage, episode, data, max_bytes=2**30)
            renders = feed_cache(app).renders
            t0 = time.perf_counter()
            body = client.get("/feed.xml").data
            rebuilds.append(time.perf_counter() - t0)
            assert feed_cache(app).renders == renders + 1 and f"Edited {n}".encode() in body
    floor = floor_render(app, runs)
    return {
        "first_ms": first * 1000,
        "rss_growth_mb": growth,
        "rebuild_ms": statistics.median(rebuilds) * 1000,
        "floor_ms": floor * 1000,
        "bytes": size,
    }


def main() -> int:
    """Seed, run the worker process, print the figures next to the goals."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], Path(args.worker[1]), args.runs)))
        return 0
    from bench.network import make_app, seed

    tmp = Path(tempfile.mkdtemp(prefix="bench-feed-big-"))
    database_url = f"sqlite:///{tmp / 'big.db'}"
    try:
        seed(make_app(database_url, tmp), 1, args.episodes)
        command = [sys.executable, __file__, "--runs", str(args.runs)]
        out = subprocess.run(
            [*command, "--worker", database_url, str(tmp)], capture_output=True, text=True
        )
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return 2
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (1/5/15 min)")
    print(f"feed of {args.episodes} episodes, {figures['bytes'] / 1e6:.1f} MB, SQLite")
    rows = [
        ("bare feedgen render of the whole feed (floor)", figures["floor_ms"], "ms", None),
        ("rebuild after one edit", figures["rebuild_ms"], "ms", REBUILD_GOAL_MS),
        ("first render in a fresh worker", figures["first_ms"], "ms", FIRST_GOAL_MS),
        ("  peak RSS growth of that render", figures["rss_growth_mb"], "MB", RSS_GOAL_MB),
    ]
    ok = True
    for name, value, unit, goal in rows:
        met = goal is None or value < goal
        ok = ok and met
        target = "" if goal is None else f"< {goal} {unit}" + ("" if met else "  MISSED")
        print(f"{name:48} {value:9.0f} {unit:3} {target}")
    print("all goals met" if ok else "GOALS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
