"""A network of shows for the benchmarks: N shows of M episodes, and 1 show of M beside it.

bench/feed.py and bench/pages.py call `compare` with `--shows N --episodes M`: two scratch
databases (1 show, N shows) are built the same way and the same warm requests are timed on
both, one request each in turn, so that both meet the same machine load.

Run on its own (as `make bench` does) it runs both comparisons with 20 shows of 500 episodes:
  .venv/bin/python bench/network.py
"""

from __future__ import annotations

import gc
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from bench.feed import sample_notes

ROOT = Path(__file__).resolve().parent.parent
COVER = ROOT / "tests" / "fixtures" / "majlis-cover-1400.jpg"
SITE = "https://podcast.example.org"
GOAL = 1.10  # the N-show figure at most this many times the 1-show figure
GUESTS = 50
TRANSCRIPT = (
    "WEBVTT\n\n"
    + "\n\n".join(
        f"00:{i // 60:02d}:{i % 60:02d}.000 --> 00:{(i + 1) // 60:02d}:{(i + 1) % 60:02d}.000\n"
        f"<v Bruce Pannier>Line {i} of what was said."
        for i in range(120)
    )
).encode()


def handle(n: int) -> str:
    """The handle of the n-th show (0: the primary, Majlis)."""
    return "majlis" if n == 0 else f"show-{n:02d}"


def seed(app: Any, shows: int, episodes: int) -> None:
    """`shows` shows (artwork, created by the service), `episodes` published episodes each
    (own audio asset, chapters on every third, a transcript on every second, 2 of 50 shared
    guests, weekly dates, a few scheduled ones still to come), bulk-inserted."""
    from podcast.extensions import db
    from podcast.models import Episode, EpisodeGuest, EpisodeStatus, MediaAsset
    from podcast.services.guests import create_guest, parse_guest_input
    from podcast.services.search import search_config
    from podcast.services.shows import parse_show_input, save_show, set_artwork
    from podcast.services.uploads import Upload

    storage = app.extensions["podcast.storage"]
    with app.app_context():
        db.create_all()
        guests = [
            create_guest(db.session, parse_guest_input({"name": f"Guest Гость {n}", "bio": "Bio."}))
            for n in range(GUESTS)
        ]
        guest_ids = [g.id for g in guests]
        now = datetime.now(UTC).replace(microsecond=0)
        for s in range(shows):
            h = handle(s)
            show = save_show(
                db.session, None, None,
                parse_show_input({
                    "handle": h, "title": "Majlis" if s == 0 else f"Show {s}: Подкаст {s}",
                    "description": "RFE/RL's weekly podcast on Central Asia.",
                    "author": "RFE/RL", "owner_name": "RFE/RL Podcasts",
                    "owner_email": "podcasts@example.org", "language": "en",
                    "categories": ["News > Politics"], "timezone": "Europe/Prague",
                    "website": "https://www.rferl.org/podcast/majlis",
                    "directory_links": {"apple": "https://podcasts.apple.com/x"},
                    "hosts": [{"name": "Bruce Pannier", "role": "host"}],
                }),
                feed_url=f"{SITE}/feed.xml" if s == 0 else f"{SITE}/shows/{h}/feed.xml",
            )  # fmt: skip
            set_artwork(
                db.session, storage, show, Upload(io.BytesIO(COVER.read_bytes()), "cover.jpg")
            )
            assets: list[dict[str, Any]] = []
            rows: list[dict[str, Any]] = []
            for i in range(episodes):
                guid = str(uuid.uuid4())
                assets.append(
                    {
                        "key": f"episodes/{guid}/audio.mp3",
                        "kind": "audio",
                        "mime_type": "audio/mpeg",
                        "size_bytes": 40_000_000 + i,
                        "sha256": "0" * 64,
                        "duration_seconds": 2400.0 + i,
                        "chapters": [
                            {"start": 0.0, "title": "Intro"},
                            {"start": 300.0, "title": "Main"},
                        ]
                        if i % 3 == 0
                        else [],
                    }  # fmt: skip
                )
                if i % 2 == 0:
                    assets.append(
                        {
                            "key": f"episodes/{guid}/transcript.vtt",
                            "kind": "transcript",
                            "mime_type": "text/vtt",
                            "size_bytes": 1000,
                            "sha256": "0" * 64,
                            "chapters": [],
                        }  # fmt: skip
                    )
                # The newest 3 are scheduled (a week apart from now on), the rest published
                # weekly before now, each show's releases a few hours from the others'.
                moment = now - timedelta(days=7 * (i - 3), hours=s)
                status = EpisodeStatus.SCHEDULED if i < 3 else EpisodeStatus.PUBLISHED
                rows.append(
                    {
                        "show_id": show.id,
                        "guid": guid,
                        "slug": f"episode-{i}",
                        "title": f"Episode {i}: Выборы {i}",
                        "summary": "",
                        "description": sample_notes(i),
                        "season": 1 + i // 100,
                        "number": i + 1,
                        "explicit": i % 10 == 0,
                        "status": status,
                        "episode_type": "full",
                        "search_config": search_config(show.language),
                        "publish_at": moment,
                        "created_at": moment,
                        "updated_at": moment,
                        "_audio": f"episodes/{guid}/audio.mp3",
                        "_transcript": f"episodes/{guid}/transcript.vtt" if i % 2 == 0 else None,
                    }  # fmt: skip
                )
            db.session.execute(insert(MediaAsset), assets)
            for row in rows[:20]:  # the pages the bench asks for read their transcript
                if row["_transcript"]:
                    storage.put(row["_transcript"], io.BytesIO(TRANSCRIPT), content_type="text/vtt")
            ids = dict(
                db.session.execute(
                    select(MediaAsset.key, MediaAsset.id).where(
                        MediaAsset.key.in_([a["key"] for a in assets])
                    )
                ).all()
            )
            for row in rows:
                row["audio_id"] = ids[row.pop("_audio")]
                key = row.pop("_transcript")
                row["transcript_id"] = ids[key] if key else None
            db.session.execute(insert(Episode), rows)
            episode_ids = db.session.scalars(
                select(Episode.id).where(Episode.show_id == show.id).order_by(Episode.number)
            ).all()
            db.session.execute(
                insert(EpisodeGuest),
                [
                    {
                        "episode_id": e,
                        "guest_id": guest_ids[(i + s + k) % GUESTS],
                        "position": k,
                        "role": "guest",
                    }
                    for i, e in enumerate(episode_ids)
                    for k in range(2)
                ],  # fmt: skip
            )
            db.session.commit()


@contextmanager
def databases(base_url: str | None, tmp: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases (1 show, N shows): SQLite files in tmp, or two scratch databases
    on the PostgreSQL server of base_url, dropped afterwards."""
    if not base_url:
        yield f"sqlite:///{tmp / 'one.db'}", f"sqlite:///{tmp / 'network.db'}"
        return
    url = make_url(base_url)
    names = [f"bench_one_{os.getpid()}", f"bench_network_{os.getpid()}"]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        one, network = (url.set(database=n).render_as_string(hide_password=False) for n in names)
        yield one, network
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(database_url: str, tmp: Path) -> Any:
    """An app on database_url with its media under tmp."""
    from podcast import create_app

    return create_app(
        {
            "INSTANCE_PATH": tmp / "instance",
            "DATABASE_URL": database_url,
            "STORAGE_URL": f"file://{tmp / 'media'}",
            "SITE_URL": SITE,
            "SECRET_KEY": "bench",
        }
    )


def state_plan(app: Any) -> list[str]:
    """The database's plan for the feed state query of a show named by handle."""
    from podcast.extensions import db
    from podcast.feed.cache import _state_statement
    from podcast.models import utcnow

    with app.app_context():
        statement = _state_statement("handle")
        dialect = db.engine.dialect
        sql = str(statement.compile(dialect=dialect))
        values = {"now": utcnow(), "handle": handle(1)}  # any show but the first
        compiled = statement.compile(dialect=dialect)
        params = compiled.construct_params(values)
        processors = compiled._bind_processors
        params = {k: processors[k](v) if k in processors else v for k, v in params.items()}
        prefix = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN "
        with db.engine.connect() as conn:
            if dialect.name == "sqlite":
                positional = tuple(params[k] for k in compiled.positiontup or ())
                rows = conn.exec_driver_sql(prefix + sql, positional).all()
                return [str(r[-1]) for r in rows]
            rows = conn.exec_driver_sql(prefix + sql, params).all()
            return [str(r[0]) for r in rows]


@dataclass
class Figure:
    """One warm request timed on both databases."""

    name: str
    one: Callable[[], Any]
    network: Callable[[], Any]


def _once(func: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def measure(figures: list[Figure], runs: int) -> list[tuple[str, float, float, float, float]]:
    """(name, then median wall ms and median CPU ms on 1 show, the same on N shows): the two
    sides called in turn, one request each, so that both meet the same machine load."""
    results = []
    for figure in figures:
        for func in (figure.one, figure.network):
            for _ in range(5):
                func()
        one: list[tuple[float, float]] = []
        network: list[tuple[float, float]] = []
        for n in range(runs):
            if n % 2:
                network.append(_once(figure.network))
                one.append(_once(figure.one))
            else:
                one.append(_once(figure.one))
                network.append(_once(figure.network))
        results.append(
            (
                figure.name,
                statistics.median(w for w, _ in one),
                statistics.median(c for _, c in one),
                statistics.median(w for w, _ in network),
                statistics.median(c for _, c in network),
            )
        )
    return results


def report(title: str, shows: int, results: list[tuple[str, float, float, float, float]]) -> bool:
    """Print the table with the ratios; True when every figure's CPU-time ratio is within the
    goal (wall time is printed too: on a shared machine it mostly measures the others)."""
    load_average = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load_average} (1/5/15 min)")
    print(title)
    print(
        f"{'figure':40} {'1 show wall/CPU (ms)':>21} {f'{shows} shows wall/CPU (ms)':>23}"
        f" {'wall':>6} {'CPU':>6}  goal (CPU)"
    )
    ok = True
    for name, one_wall, one_cpu, net_wall, net_cpu in results:
        ratio = net_cpu / one_cpu if one_cpu else 1.0
        ok &= ratio <= GOAL
        verdict = "ok" if ratio <= GOAL else "MISSED"
        print(
            f"{name:40} {one_wall:>10.2f} /{one_cpu:>8.2f} {net_wall:>12.2f} /{net_cpu:>8.2f}"
            f" {net_wall / one_wall:>5.2f}x {ratio:>5.2f}x  <= {GOAL:.2f}x {verdict}"
        )
    return ok


def compare(
    shows: int,
    episodes: int,
    database_url: str | None,
    figures_of: Callable[[Any, Any, str], list[Figure]],
    runs: int,
    title: str,
) -> int:
    """Seed 1 show and `shows` shows of `episodes` each, time figures_of(one, network, other
    show's handle), print."""
    with tempfile.TemporaryDirectory(prefix="bench-network-") as name:
        tmp = Path(name)
        with databases(database_url, tmp) as (one_url, network_url):
            one = make_app(one_url, tmp / "one")
            network = make_app(network_url, tmp / "network")
            t0 = time.perf_counter()
            seed(one, 1, episodes)
            seed(network, shows, episodes)
            gc.collect()
            gc.freeze()  # the seed's objects: no collection walks them during the timing
            took = time.perf_counter() - t0
            print(f"seeded 1 + {shows} shows of {episodes} episodes in {took:.0f} s")
            try:
                print(f"plan of the feed state query ({network_url.split(':')[0]}, {shows} shows):")
                for line in state_plan(network):
                    print(f"  {line}")
                results = measure(figures_of(one, network, handle(shows // 2)), runs)
                ok = report(title, shows, results)
            finally:
                for app in (one, network):
                    with app.app_context():
                        from podcast.extensions import db

                        db.engine.dispose()
    print("goal met" if ok else "GOAL MISSED")
    return 0 if ok else 1


def main() -> int:
    """Both comparisons, 20 shows of 500 episodes, on SQLite (or $PODCAST_BENCH_DATABASE_URL)."""
    from bench import feed, pages

    url = os.environ.get("PODCAST_BENCH_DATABASE_URL")
    feeds = compare(20, 500, url, feed.network_figures, 1000, "warm feed, 500 episodes a show")
    views = compare(20, 500, url, pages.network_figures, 400, "warm pages, 500 episodes a show")
    return feeds or views


if __name__ == "__main__":
    sys.exit(main())
