"""The home page and search with 5,000 episodes: median time per request, against 10 ms.

Run from the repository root:
    .venv/bin/python bench/search.py [--episodes 5000] [--runs 200]
    .venv/bin/python bench/search.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

One show of N published episodes (bench/network.py's seed: ~1.5 KB of Markdown notes each, in
English with a Russian sentence, 2 of 50 guests), warm, through app.test_client(): the home page,
a search for a word in every episode's notes, one for a word in one episode's title only,
a Russian word, a guest's name, and a word
that matches nothing. The same requests alternate, so all meet the same machine load.
"""

from __future__ import annotations

import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.network import databases, make_app, seed  # noqa: E402

GOAL_MS = 10.0
REQUESTS = {
    "home page /": "/",
    "search, a word in every episode (?q=ferghana)": "/?q=ferghana",
    "search, one episode's title (?q=4321)": "/?q=4321",
    "search, Russian (?q=выборы)": "/?q=%D0%B2%D1%8B%D0%B1%D0%BE%D1%80%D1%8B",
    "search, a guest (?q=гость 7)": "/?q=%D0%B3%D0%BE%D1%81%D1%82%D1%8C+7",
    "search, no match (?q=zzyzx)": "/?q=zzyzx",
}


def main() -> int:
    """Seed, warm up, time each request in turn, print the medians next to the goal."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        with databases(args.database_url, tmp) as (url, _unused):
            app = make_app(url, tmp)
            seed(app, 1, args.episodes)
            if url.startswith("postgresql"):  # the planner's statistics, as autovacuum keeps them
                with app.app_context():
                    from sqlalchemy import text

                    from podcast.extensions import db

                    db.session.execute(text("ANALYZE"))
                    db.session.commit()
            client = app.test_client()
            times: dict[str, list[float]] = {name: [] for name in REQUESTS}
            found: dict[str, int] = {}
            for name, path in REQUESTS.items():
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                found[name] = response.data.count(b'<article class="card')
            for _ in range(args.runs):
                for name, path in REQUESTS.items():
                    t0 = time.perf_counter()
                    client.get(path)
                    times[name].append(time.perf_counter() - t0)
            with app.app_context():
                from podcast.extensions import db

                db.engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    kind = (args.database_url or "sqlite").split(":")[0].split("+")[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (1/5/15 min)")
    print(f"{args.episodes} episodes, {kind}, median of {args.runs} requests each")
    ok = True
    for name in REQUESTS:
        median = statistics.median(times[name]) * 1000
        met = median < GOAL_MS
        ok = ok and met
        verdict = f"< {GOAL_MS:.0f} ms" + ("" if met else "  MISSED")
        print(f"{name:48} {median:7.1f} ms  {found[name]:3} cards  {verdict}")
    print("all goals met" if ok else "GOALS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
