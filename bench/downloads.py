"""Download counting benchmark (issue 16), parts (1) and (2); part (3), the dashboard, is
bench/downloads_dashboard.py.

(1) The counting route /d/<key> against the same file from /media/<key> with PODCAST_ANALYTICS
    off: gunicorn -w2 and wrk on 127.0.0.1, alternated; whole-file GETs of the 182 kB sample,
    from one listener and from a new listener on every request (X-Forwarded-For through one
    trusted proxy, on both servers). Goal: at least 0.85x the req/s.
(2) `ingest` of 1,000,000 combined-log lines (written here, 60 episodes, 150,000 listeners,
    a mix of whole files, ranges, probes, HEAD, 304, bots and other paths) against a plain
    loop that only parses the same lines with the same regular expression. Goal: at most 3x
    the time; memory flat (peak RSS at 1,000,000 lines against 200,000).

Run from the repository root:  .venv/bin/python bench/downloads.py [--seconds 10] [--lines N]
"""

from __future__ import annotations

import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(sys.path[0])
SITE = "https://podcast.example.org"
SAMPLE = ROOT / "tests" / "fixtures" / "majlis-sample-episode.mp3"
RPS_GOAL = 0.85
INGEST_GOAL = 3.0
EPISODES = 60
LISTENERS = 150_000
AGENTS = [
    "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)",
    "Podcasts/1650.20 CFNetwork/1410.0.3 Darwin/22.4.0",
    "Spotify/8.9.28 iOS/17.4.1 (iPhone14,5)",
    "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)",
    "PodcastAddict/v5 (+https://podcastaddict.com/; Android podcast app)",
    "AntennaPod/3.3.2",
    "CastBox/8.26.1-230606063 (Linux;Android 13) ExoPlayerLib/2.10.4",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]
# wrk: a new listener (address) on every request.
XFF_SCRIPT = """
AGENT = "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)"
counter = 0
request = function()
  counter = counter + 1
  local a = 95 + (counter % 3)
  local address = a .. "." .. (math.floor(counter / 65536) % 256) .. "."
    .. (math.floor(counter / 256) % 256) .. "." .. (counter % 256)
  return wrk.format("GET", nil, {["X-Forwarded-For"] = address, ["User-Agent"] = AGENT})
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed_route(database_url: str, storage_url: str) -> str:
    """One show and one episode with the sample MP3, through the real pipeline; its key."""
    from podcast import create_app
    from podcast.extensions import db
    from podcast.services.episode_input import parse_episode_input
    from podcast.services.episodes import Attachments, create_episode
    from podcast.services.shows import create_show
    from podcast.services.uploads import Upload

    app = create_app({"DATABASE_URL": database_url, "STORAGE_URL": storage_url,
                      "SECRET_KEY": "bench", "SITE_URL": SITE})  # fmt: skip
    with app.app_context():
        db.create_all()
        show = create_show(db.session, {"handle": "majlis", "title": "Majlis"}, f"{SITE}/feed.xml")
        data = parse_episode_input({"title": "Bench", "status": "published"}, partial=False,
                                   timezone="UTC")  # fmt: skip
        files = Attachments(audio=Upload(io.BytesIO(SAMPLE.read_bytes()), "a.mp3"))
        storage = app.extensions["podcast.storage"]
        episode = create_episode(db.session, storage, show, data, files, max_bytes=2**30)
        key = episode.audio.key
        db.engine.dispose()
    return key


def _gunicorn(env: dict[str, str], probe: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--bind",
        f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning", "wsgi:app",
    ]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            with urllib.request.urlopen(base + probe, timeout=30) as response:
                response.read()
            return process, base
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def _wrk(url: str, seconds: int, script: str | None) -> float:
    command = ["wrk", "-t1", "-c4", f"-d{seconds}s", "-H", f"User-Agent: {AGENTS[0]}"]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        raise RuntimeError(f"wrk saw errors: {output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    return float(match.group(1)) if match else 0.0


def part_route(seconds: int, rounds: int) -> dict[str, Any]:
    """(1): req/s of /d/<key> (counting) and /media/<key> (analytics off), alternated."""
    work = Path(tempfile.mkdtemp(prefix="bench-dl-"))
    try:
        database_url = f"sqlite:///{work / 'podcast.db'}"
        storage_url = f"file://{work / 'media'}"
        key = _seed_route(database_url, storage_url)
        env = {"PODCAST_DATABASE_URL": database_url, "PODCAST_STORAGE_URL": storage_url,
               "PODCAST_SITE_URL": SITE, "PODCAST_SECRET_KEY": "bench",
               "PODCAST_TRUSTED_PROXIES": "1", "PODCAST_QUEUE_URL": f"sqlite:///{work / 'q.db'}"}  # fmt: skip  # noqa: E501
        counting, counting_base = _gunicorn({**env, "PODCAST_ANALYTICS": "1"}, f"/d/{key}")
        plain, plain_base = _gunicorn({**env, "PODCAST_ANALYTICS": "0"}, f"/media/{key}")
        script = work / "xff.lua"
        script.write_text(XFF_SCRIPT)
        found: dict[str, list[float]] = {"route": [], "media": [], "route_many": [],
                                         "media_many": []}  # fmt: skip
        try:
            for _ in range(rounds):
                found["route"].append(_wrk(f"{counting_base}/d/{key}", seconds, None))
                found["media"].append(_wrk(f"{plain_base}/media/{key}", seconds, None))
                found["route_many"].append(_wrk(f"{counting_base}/d/{key}", seconds, str(script)))
                found["media_many"].append(_wrk(f"{plain_base}/media/{key}", seconds, str(script)))
            time.sleep(2)  # the recorders' last flush
        finally:
            counting.terminate()
            plain.terminate()
            counting.wait(10)
            plain.wait(10)
        import sqlite3

        with sqlite3.connect(work / "podcast.db") as conn:
            rows = conn.execute("SELECT count(*), count(DISTINCT listener) FROM download_hit")
            hits, listeners = rows.fetchone()
        return {name: statistics.median(values) for name, values in found.items()} | {
            "hit_rows": hits,
            "listeners": listeners,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_log(path: Path, lines: int, keys: list[tuple[str, int]]) -> None:
    """`lines` combined-log lines, made lazily (a few MB of memory whatever their number)."""
    rng = random.Random(16)
    chunk: list[str] = []
    with path.open("w") as out:
        for i in range(lines):
            listener = rng.randrange(LISTENERS)
            address = (
                f"{95 + listener % 3}.{listener >> 16 & 255}.{listener >> 8 & 255}.{listener & 255}"  # noqa: E501
            )
            key, size = keys[listener % len(keys)]
            agent = AGENTS[listener % len(AGENTS)]
            second = i * 86400 // lines
            when = (
                f"03/Nov/2026:{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d} +0000"  # noqa: E501
            )
            kind = rng.random()
            method, status, sent, path_ = "GET", 206, size // 3, f"/media/{key}"
            if kind < 0.35:
                status, sent = 200, size
            elif kind < 0.45:
                sent = 2
            elif kind < 0.50:
                method, status, sent = "HEAD", 200, 0
            elif kind < 0.55:
                status, sent = 304, 0
            elif kind < 0.60:
                path_, status, sent = "/feed.xml", 200, 40_000
            chunk.append(f'{address} - - [{when}] "{method} {path_} HTTP/1.1" {status} {sent} '
                         f'"-" "{agent}"\n')  # fmt: skip
            if len(chunk) >= 10_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))


def _seed_rows(database_url: str) -> list[tuple[str, int]]:
    """EPISODES episodes (rows only: ingest never reads the files); their keys and sizes."""
    from podcast import create_app
    from podcast.extensions import db
    from podcast.models import Episode, EpisodeStatus, MediaAsset, utcnow
    from podcast.services.shows import create_show

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "SITE_URL": SITE,
                      "STORAGE_URL": "file:///tmp/bench-dl-none"})  # fmt: skip
    keys = []
    with app.app_context():
        db.create_all()
        show = create_show(db.session, {"handle": "majlis", "title": "Majlis"}, f"{SITE}/feed.xml")
        for i in range(EPISODES):
            guid = str(uuid.uuid4())
            size = 30_000_000 + i
            audio = MediaAsset(key=f"episodes/{guid}/audio-{i}.mp3", kind="audio",
                               mime_type="audio/mpeg", size_bytes=size, sha256="0" * 64,
                               duration_seconds=1800.0, bitrate=128_000)  # fmt: skip
            db.session.add(Episode(show=show, guid=guid, slug=f"e-{i}", title=f"E{i}",
                                   status=EpisodeStatus.PUBLISHED, publish_at=utcnow(),
                                   audio=audio))  # fmt: skip
            keys.append((audio.key, size))
        db.session.commit()
        db.engine.dispose()
    return keys


def _child_ingest(database_url: str, log: str) -> None:
    """In a process of its own (so its peak RSS is its own): ingest, roll up, report JSON."""
    from podcast import create_app
    from podcast.analytics import ingest, rollup
    from podcast.extensions import db
    from podcast.models import utcnow

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "SITE_URL": SITE,
                      "STORAGE_URL": "file:///tmp/bench-dl-none"})  # fmt: skip
    with app.app_context():
        t0 = time.perf_counter()
        report = ingest.ingest(db.session, log, "combined")
        ingested = time.perf_counter() - t0
        counted = rollup.process(db.session, utcnow())
        total = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"ingest": ingested, "with_rollup": total, "downloads": counted.downloads,
                      "hits": sum(s.hits for s in report.sources), "rss_mb": peak}))  # fmt: skip


def _child_parse(log: str) -> None:
    """The floor: only parse each line with the same regular expression."""
    from podcast.analytics.ingest import _COMBINED

    t0 = time.perf_counter()
    parsed = 0
    with open(log, "rb") as handle:
        for raw in handle:
            match = _COMBINED.match(raw)
            if match is not None:
                match.groups()
                parsed += 1
    print(json.dumps({"parse": time.perf_counter() - t0, "parsed": parsed}))


def _run_child(*args: str) -> dict[str, Any]:
    output = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                            check=True).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def part_ingest(lines: int) -> dict[str, Any]:
    """(2): ingest against the parse-only loop, and peak memory at `lines` and lines / 5."""
    work = Path(tempfile.mkdtemp(prefix="bench-dl-ingest-"))
    try:
        found: dict[str, Any] = {}
        for label, count in (("small", lines // 5), ("big", lines)):
            database_url = f"sqlite:///{work / f'{label}.db'}"
            keys = _seed_rows(database_url)
            log = work / f"{label}.log"
            write_log(log, count, keys)
            found[label] = _run_child("--child-ingest", database_url, str(log))
            found[label + "_parse"] = _run_child("--child-parse", str(log))
            log.unlink()
        return found
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """Run (1) and (2) and print their figures beside the goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="wrk runs per endpoint")
    parser.add_argument("--lines", type=int, default=1_000_000, help="log lines for (2)")
    parser.add_argument("--skip-route", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--child-ingest", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-parse", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_ingest:
        _child_ingest(*args.child_ingest)
        return
    if args.child_parse:
        _child_parse(*args.child_parse)
        return
    if not args.skip_route:
        if shutil.which("wrk") is None:
            sys.exit("wrk is missing: apt-get install -y wrk")
        r = part_route(args.seconds, args.rounds)
        one, many = r["route"] / r["media"], r["route_many"] / r["media_many"]
        print("(1) counting route vs the media route, gunicorn -w2, wrk -c4, 182 kB GETs")
        print(f"    one listener:        /media {r['media']:8.0f} req/s   /d {r['route']:8.0f} "
              f"req/s   {one:.2f}x (goal >= {RPS_GOAL}x)")  # fmt: skip
        print(f"    a new listener each: /media {r['media_many']:8.0f} req/s   /d "
              f"{r['route_many']:8.0f} req/s   {many:.2f}x (goal >= {RPS_GOAL}x)")  # fmt: skip
        print(f"    raw hit rows written: {r['hit_rows']} ({r['listeners']} listeners)")
    if not args.skip_ingest:
        r = part_ingest(args.lines)
        big, small = r["big"], r["small"]
        ratio = big["ingest"] / r["big_parse"]["parse"]
        print(f"(2) ingest of {args.lines:,} combined-log lines vs a parse-only loop")
        print(f"    parse only {r['big_parse']['parse']:6.2f} s   ingest {big['ingest']:6.2f} s   "
              f"{ratio:.2f}x (goal <= {INGEST_GOAL}x); with the rollup {big['with_rollup']:.2f} s")  # fmt: skip  # noqa: E501
        print(f"    {big['hits']:,} raw hit rows, {big['downloads']:,} downloads counted")
        print(f"    peak RSS: {small['rss_mb']:.0f} MB at {args.lines // 5:,} lines, "
              f"{big['rss_mb']:.0f} MB at {args.lines:,} lines")  # fmt: skip


if __name__ == "__main__":
    main()
