"""Feed benchmark: 1,000 episodes; render after an edit vs bare feedgen; gunicorn+wrk vs bare Flask.

Run from the repository root:  .venv/bin/python bench/feed.py [--seconds 10] [--database-url URL]
Loads run only against 127.0.0.1, each wrk run lasts --seconds (5 runs by default).

With --shows N (N > 1) --episodes M it compares instead, in-process, the warm feed (a cached
200 and a 304 poll, the primary show's /feed.xml and another show's /shows/<handle>/feed.xml)
on a network of N shows of M episodes against 1 show of M episodes (bench/network.py).
"""

from __future__ import annotations

import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

EPISODES = 1000
RENDER_GOAL = 2.0  # first render after an edit, at most this many times bare feedgen
RPS_GOAL = 0.9  # feed requests/s at least this share of a bare Flask endpoint's (issue 18)
SITE = "https://podcast.example.org"
ROOT = Path(sys.path[0])


def bare_app() -> Any:
    """A Flask app whose one endpoint returns the bytes in $BENCH_FEED_FILE (the ceiling)."""
    from flask import Flask, Response

    body = Path(os.environ["BENCH_FEED_FILE"]).read_bytes()
    app = Flask("bare")

    @app.route("/feed.xml")
    def feed() -> Response:
        return Response(body, content_type="application/rss+xml; charset=utf-8")

    return app


def sample_notes(i: int) -> str:
    """Markdown show notes of about 1.5 KB for the i-th episode (links, a quote, Cyrillic)."""
    return (
        f"## Episode {i}\n\nThis week on *Majlis*: elections in Kazakhstan, water in the Ferghana "
        "valley and what the new gas deal means for Turkmenistan. Гости обсуждают выборы и "
        "свободу прессы в Центральной Азии.\n\n"
        + "".join(
            f"- Point {j}: [source](https://www.rferl.org/a/{i}-{j}.html)\n" for j in range(6)
        )
        + "\n> Quote of the week, with **emphasis** and `code`.\n\n"
        + "Background reading and a longer paragraph that runs on for a while so that the notes "
        "look like real show notes of a weekly podcast about Central Asia. " * 4
    )


def seed(app: Any) -> None:
    """A show with 1,000 published episodes, guests, chapters and transcripts (rows only)."""
    from podcast.extensions import db
    from podcast.models import Episode, EpisodeGuest, EpisodeStatus, MediaAsset
    from podcast.services.guests import create_guest, parse_guest_input
    from podcast.services.shows import create_show

    with app.app_context():
        db.create_all()
        show = create_show(
            db.session,
            {
                "title": "Majlis",
                "description": "RFE/RL's weekly podcast on Central Asia.",
                "author": "RFE/RL",
                "owner_name": "RFE/RL Podcasts",
                "owner_email": "podcasts@example.org",
                "language": "en",
                "categories": ["News > Politics"],
                "website": "https://www.rferl.org/podcast/majlis",
                "funding_url": "https://www.rferl.org/support",
                "hosts": [{"name": "Bruce Pannier", "role": "host"}],
            },
            f"{SITE}/feed.xml",
        )
        guests = [
            create_guest(db.session, parse_guest_input({"name": f"Guest Гость {n}"}))
            for n in range(50)
        ]
        start = datetime(2005, 1, 3, 9, tzinfo=UTC)  # 1,000 weeks: all due now
        for i in range(EPISODES):
            guid = str(uuid.uuid4())
            audio = MediaAsset(
                key=f"episodes/{guid}/audio-{i}.mp3", kind="audio", mime_type="audio/mpeg",
                size_bytes=40_000_000 + i, sha256="0" * 64, duration_seconds=2400.0 + i,
                chapters=[{"start": 0.0, "title": "Intro"}, {"start": 300.0, "title": "Main"}]
                if i % 3 == 0 else [],
            )  # fmt: skip
            transcript = (
                MediaAsset(
                    key=f"episodes/{guid}/transcript-{i}.vtt",
                    kind="transcript",
                    mime_type="text/vtt",
                    size_bytes=1000,
                    sha256="0" * 64,
                )  # fmt: skip
                if i % 2 == 0
                else None
            )
            moment = start + timedelta(days=7 * i)
            episode = Episode(
                show=show, guid=guid, slug=f"episode-{i}", title=f"Episode {i}: Выборы {i}",
                summary="", description=sample_notes(i), season=1 + i // 100, number=i + 1,
                explicit=i % 10 == 0, status=EpisodeStatus.PUBLISHED, publish_at=moment,
                audio=audio, transcript=transcript, created_at=moment, updated_at=moment,
            )  # fmt: skip
            episode.appearances = [
                EpisodeGuest(guest=guests[(i + k) % 50], position=k) for k in range(2)
            ]
            db.session.add(episode)
        db.session.commit()


def _median(func: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def floor_render(app: Any, runs: int) -> float:
    """Bare FeedGenerator (+ its podcast extension) over the same fields, precomputed in memory."""
    from feedgen.feed import FeedGenerator

    from podcast.extensions import db
    from podcast.feed.text import show_notes
    from podcast.services import queries
    from podcast.views.urls import episode_url, media_url

    with app.test_request_context():
        items = [
            {
                "title": e.title,
                "guid": e.guid,
                "link": episode_url(e),
                "date": e.publish_at,
                "url": media_url(e.audio),
                "length": str(e.audio.size_bytes),
                "html": show_notes(e.description, e.summary, SITE)[0],
                "plain": show_notes(e.description, e.summary, SITE)[1],
                "duration": str(round(e.audio.duration_seconds)),
                "season": e.season,
                "number": e.number,
                "explicit": "yes" if e.explicit else "no",
            }  # fmt: skip
            for e in db.session.scalars(queries.public_episodes()).all()
        ]

    def build() -> bytes:
        fg = FeedGenerator()
        fg.load_extension("podcast")
        fg.title("Majlis")
        fg.description("RFE/RL's weekly podcast on Central Asia.")
        fg.link(href=f"{SITE}/feed.xml", rel="self", type="application/rss+xml")
        fg.link(href="https://www.rferl.org/podcast/majlis", rel="alternate")
        fg.language("en")
        fg.podcast.itunes_author("RFE/RL")
        fg.podcast.itunes_owner(name="RFE/RL Podcasts", email="podcasts@example.org")
        fg.podcast.itunes_category([{"cat": "News", "sub": "Politics"}])
        fg.podcast.itunes_explicit("no")
        fg.podcast.itunes_type("episodic")
        for item in items:
            fe = fg.add_entry(order="append")
            fe.title(item["title"])
            fe.guid(item["guid"], permalink=False)
            fe.link(href=item["link"])
            fe.pubDate(item["date"])
            fe.enclosure(item["url"], item["length"], "audio/mpeg")
            fe.description(item["plain"])
            fe.content(item["html"], type="CDATA")
            fe.podcast.itunes_duration(item["duration"])
            fe.podcast.itunes_season(item["season"])
            fe.podcast.itunes_episode(item["number"])
            fe.podcast.itunes_episode_type("full")
            fe.podcast.itunes_explicit(item["explicit"])
        return fg.rss_str(pretty=True)

    return _median(build, runs)


def our_render_after_edit(app: Any, runs: int) -> tuple[float, float, int]:
    """(median seconds after an edit, seconds cold in a fresh cache, feed size in bytes)."""
    from podcast.current import feed_cache
    from podcast.extensions import db
    from podcast.feed.text import show_notes
    from podcast.models import Episode
    from podcast.services.episode_input import parse_episode_input
    from podcast.services.episodes import update_episode
    from podcast.views.public.feed import current_feed

    storage = app.extensions["podcast.storage"]
    with app.test_request_context():
        show_notes.cache_clear()
        feed_cache().clear()
        t0 = time.perf_counter()
        rendered, _ = current_feed()
        cold = time.perf_counter() - t0
        times = []
        for n in range(runs):
            episode = db.session.get(Episode, 1 + n * 7)
            data = parse_episode_input(
                {"title": f"Edited {n}", "description": episode.description + f"\n\nEdit {n}."},
                partial=True,
                timezone="UTC",
            )
            update_episode(db.session, storage, episode, data, max_bytes=2**30)
            db.session.expire_all()
            renders = feed_cache().renders
            t0 = time.perf_counter()
            rendered, _ = current_feed()
            times.append(time.perf_counter() - t0)
            assert feed_cache().renders == renders + 1 and b"Edited" in rendered.body
    return statistics.median(times), cold, len(rendered.body)


def conditional_without_render(app: Any, requests: int = 200) -> tuple[int, int]:
    """(304 answers, renders) for conditional requests after one render."""
    from podcast.current import feed_cache

    client = app.test_client()
    etag = client.get("/feed.xml").headers["ETag"]
    before = feed_cache(app).renders
    answered = sum(
        client.get("/feed.xml", headers={"If-None-Match": etag}).status_code == 304
        for _ in range(requests)
    )
    return answered, feed_cache(app).renders - before


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn(target: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--bind",
        f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning", target,
    ]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}/feed.xml"
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()
            return process, url
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"gunicorn {target} did not start")


def _wrk(url: str, seconds: int, headers: dict[str, str] | None = None) -> float:
    command = ["wrk", "-t1", "-c4", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non2xx:
        raise RuntimeError(f"wrk saw errors: {output}")
    return float(match.group(1)) if match else 0.0


def load(
    database_url: str, storage_url: str, feed_file: Path, seconds: int, rounds: int
) -> dict[str, Any]:
    """Requests per second: the feed and a bare Flask endpoint with its bytes, alternated
    (so that both see the same machine load), then conditional requests answered 304."""
    env = {
        "PODCAST_DATABASE_URL": database_url, "PODCAST_STORAGE_URL": storage_url,
        "PODCAST_SITE_URL": SITE, "PODCAST_SECRET_KEY": "bench", "BENCH_FEED_FILE": str(feed_file),
    }  # fmt: skip
    ours, feed_url = _gunicorn("wsgi:app", env)
    bare, bare_url = _gunicorn("bench.feed:bare_app()", env)
    try:
        # Warm both workers (each renders once), and check they serve the same bytes and ETag.
        etags = set()
        for _ in range(8):
            with urllib.request.urlopen(feed_url) as response:
                assert response.read() == feed_file.read_bytes(), "workers serve other bytes"
                etags.add(response.headers["ETag"])
        assert len(etags) == 1
        feed, plain = [], []
        for _ in range(rounds):
            feed.append(_wrk(feed_url, seconds))
            plain.append(_wrk(bare_url, seconds))
        not_modified = _wrk(feed_url, seconds, {"If-None-Match": etags.pop()})
    finally:
        for process in (ours, bare):
            process.terminate()
            process.wait()
    return {
        "feed": statistics.mean(feed), "bare": statistics.mean(plain), "feed_304": not_modified,
        "feed_runs": feed, "bare_runs": plain,
    }  # fmt: skip


def network_figures(one: Any, network: Any, other_handle: str) -> list[Any]:
    """The warm feed requests, each on 1 show and on the network (other_handle: a show
    that is not the primary)."""
    from bench.network import Figure, handle
    from podcast.extensions import db
    from podcast.feed.cache import feed_state

    other = f"/shows/{other_handle}/feed.xml"

    def getter(app: Any, url: str, status: int, conditional: bool = False) -> Any:
        client = app.test_client()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        headers = {"If-None-Match": response.headers["ETag"]} if conditional else {}

        def get() -> None:
            renders = feed_cache_of(app).renders
            response = client.get(url, headers=headers)
            assert response.status_code == status, (url, response.status_code)
            assert feed_cache_of(app).renders == renders, "a warm request rendered"

        return get

    def state(app: Any, name: str | None) -> Any:
        def query() -> None:
            with app.app_context():
                assert feed_state(db.session, handle=name) is not None

        return query

    return [
        Figure("/feed.xml, warm 200 (primary)", getter(one, "/feed.xml", 200),
               getter(network, "/feed.xml", 200)),
        Figure(f"{other}, warm 200", getter(one, "/feed.xml", 200),
               getter(network, other, 200)),
        Figure("/feed.xml, 304 poll (primary)", getter(one, "/feed.xml", 304, True),
               getter(network, "/feed.xml", 304, True)),
        Figure(f"{other}, 304 poll", getter(one, "/feed.xml", 304, True),
               getter(network, other, 304, True)),
        Figure("feed state query, by handle", state(one, handle(0)),
               state(network, other_handle)),
    ]  # fmt: skip


def feed_cache_of(app: Any) -> Any:
    """The app's feed cache."""
    from podcast.current import feed_cache

    return feed_cache(app)


def main() -> int:
    """Seed, time, load, print the figures next to the goals."""
    global EPISODES
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--runs", type=int, default=5, help="timed renders per figure")
    parser.add_argument("--rounds", type=int, default=2, help="wrk runs per endpoint")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--shows", type=int, default=1, help="N > 1: compare N shows with 1")
    parser.add_argument("--episodes", type=int, default=EPISODES, help="episodes per show")
    parser.add_argument("--requests", type=int, default=1000, help="timed warm requests (--shows)")
    args = parser.parse_args()
    if args.shows > 1:
        from bench.network import compare

        return compare(
            args.shows, args.episodes, args.database_url, network_figures, args.requests,
            f"warm feed, {args.episodes} episodes a show, median of {args.requests} requests"
            " in-process (app.test_client())",
        )  # fmt: skip
    EPISODES = args.episodes
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2

    from podcast import create_app
    from podcast.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="bench-feed-"))
    database_url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    storage_url = f"file://{tmp / 'media'}"
    app = create_app(
        {
            "INSTANCE_PATH": tmp / "instance",
            "DATABASE_URL": database_url,
            "STORAGE_URL": storage_url,
            "SITE_URL": SITE,
            "SECRET_KEY": "bench",
        }  # fmt: skip
    )
    try:
        seed(app)
        floor = floor_render(app, args.runs)
        after_edit, cold, size = our_render_after_edit(app, args.runs)
        answered, renders = conditional_without_render(app)
        feed_file = tmp / "feed.xml"
        feed_file.write_bytes(app.test_client().get("/feed.xml").data)
        rps = load(database_url, storage_url, feed_file, args.seconds, args.rounds)
    finally:
        with app.app_context():
            if database_url.startswith("postgresql"):
                db.drop_all()
            db.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)

    ratio, share = after_edit / floor, rps["feed"] / rps["bare"]
    load_average = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load_average} (1/5/15 min)")
    print(
        f"Feed of {EPISODES} episodes, {size / 1e6:.2f} MB, database {database_url.split(':')[0]}"
    )
    print(f"{'figure':44} {'measured':>14} {'goal':>14}")
    rows = [
        ("bare feedgen render (floor)", f"{floor * 1000:.0f} ms", ""),
        ("our render after an edit", f"{after_edit * 1000:.0f} ms", ""),
        ("  ratio to bare feedgen", f"{ratio:.2f}x", f"<= {RENDER_GOAL:.1f}x"),
        ("our render, cold process (no notes cache)", f"{cold * 1000:.0f} ms", "(info)"),
        ("bare Flask endpoint, same bytes (gunicorn -w2)", f"{rps['bare']:.0f} req/s", ""),
        ("  runs", " / ".join(f"{r:.0f}" for r in rps["bare_runs"]), ""),
        ("/feed.xml (gunicorn -w2)", f"{rps['feed']:.0f} req/s", ""),
        ("  runs", " / ".join(f"{r:.0f}" for r in rps["feed_runs"]), ""),
        ("  share of bare Flask", f"{share:.2f}x", f">= {RPS_GOAL:.1f}x"),
        ("/feed.xml If-None-Match -> 304", f"{rps['feed_304']:.0f} req/s", "(info)"),
        ("conditional requests: 304s / renders", f"{answered} / {renders}", "all / 0"),
    ]
    for name, measured, goal in rows:
        print(f"{name:44} {measured:>14} {goal:>14}")
    ok = ratio <= RENDER_GOAL and share >= RPS_GOAL and renders == 0
    print("all goals met" if ok else "GOALS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
