"""Time the import of a 300-episode feed (1 MB of MP3 each, served on 127.0.0.1) against the
floor: downloading the same 300 files with the same bounded concurrency and nothing else.

Usage: .venv/bin/python bench/import.py [--episodes N] [--concurrency C]

The feed and the media are served by a threaded http.server in this process; the import runs
here too (SQLite, local storage, in a temp folder), as a worker runs it: read the feed, make
the show, download each file (C at a time), inspect it, store it, commit its episode. Memory is
the growth of this process's peak RSS (VmHWM, reset before the import) over its RSS then.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[0:1] = [str(ROOT), str(ROOT / "tests")]

TIME_GOAL = 1.5  # import time / floor time
MEMORY_GOAL_MB = 100


def _feed(base: str, episodes: int, size: int) -> bytes:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    items = "".join(
        f'<item><title>Episode {n}</title><guid isPermaLink="false">bench-{n}</guid>'
        f"<pubDate>{format_datetime(start + timedelta(days=n))}</pubDate>"
        f"<description><![CDATA[<p>Notes of <b>episode {n}</b>.</p>]]></description>"
        f'<enclosure url="{base}/media/{n}.mp3" length="{size}" type="audio/mpeg"/>'
        f"<itunes:duration>60</itunes:duration><itunes:episode>{n}</itunes:episode></item>"
        for n in range(1, episodes + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
        f"<title>Bench show</title><link>{base}/</link><language>en</language>"
        "<description>A show to time imports with.</description>"
        '<itunes:author>Bench</itunes:author><itunes:category text="News"/>'
        f"{items}</channel></rss>"
    ).encode()


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _floor(urls: list[str], concurrency: int) -> float:
    from podcast.imports.fetch import download_to
    from podcast.storage.incoming import open_staging_file

    def one(url: str) -> None:
        fd, name = open_staging_file(suffix=".part")
        with os.fdopen(fd, "w+b") as handle:
            download_to(url, handle, allow_private=True, max_bytes=50 * 1024 * 1024)
        os.unlink(name)

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, urls))
    return time.perf_counter() - t0


def main() -> int:
    """Serve the feed, time the floor and the import, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--rate", type=float, default=0.0,
        help="MB/s per connection the server sends media at, as a real host would (0: as fast "
        "as loopback goes)",
    )  # fmt: skip
    args = parser.parse_args()
    from support.mpeg_synth import write_cbr_minutes

    from podcast import create_app
    from podcast.extensions import db
    from podcast.imports.apply import run_import
    from podcast.imports.fetcher import default_fetcher
    from podcast.imports.media import ImportOptions
    from podcast.imports.records import FeedImport

    with tempfile.TemporaryDirectory() as tmp:
        mp3 = Path(tmp) / "one.mp3"
        write_cbr_minutes(mp3, 1.0)
        media = mp3.read_bytes()
        return _run(tmp, b"", media, args, create_app, db, run_import, default_fetcher,
                    ImportOptions, FeedImport)  # fmt: skip


def _run(tmp: str, feed: bytes, media: bytes, args: Any, *deps: Any) -> int:
    create_app, db, run_import, default_fetcher, ImportOptions, FeedImport = deps  # noqa: N806
    holder: dict[str, bytes] = {"feed": feed}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            body, kind = (holder["feed"], "application/rss+xml") if self.path == "/feed.xml" else (
                media, "audio/mpeg")  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not args.rate or kind != "audio/mpeg":
                self.wfile.write(body)
                return
            step, started = 64 * 1024, time.perf_counter()
            for at in range(0, len(body), step):
                self.wfile.write(body[at : at + step])
                ahead = (at + step) / (args.rate * 1e6) - (time.perf_counter() - started)
                if ahead > 0:
                    time.sleep(ahead)

        def log_message(self, *a: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    holder["feed"] = _feed(base, args.episodes, len(media))
    urls = [f"{base}/media/{n}.mp3" for n in range(1, args.episodes + 1)]
    app = create_app({
        "INSTANCE_PATH": f"{tmp}/instance", "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
        "STORAGE_URL": f"file://{tmp}/media", "SECRET_KEY": "bench", "IMPORT_ALLOW_PRIVATE": True,
    })  # fmt: skip
    floor = _floor(urls, args.concurrency)
    with app.app_context():
        db.create_all()
        feed_import = FeedImport(source_url=f"{base}/feed.xml")
        db.session.add(feed_import)
        db.session.commit()
        options = ImportOptions(True, 50 * 1024 * 1024, args.concurrency)
        Path("/proc/self/clear_refs").write_text("5")
        rss_before = _status("VmRSS")
        t0 = time.perf_counter()
        report = run_import(
            db.session, app.extensions["podcast.storage"], feed_import,
            fetcher=default_fetcher(), options=options,
        )  # fmt: skip
        took = time.perf_counter() - t0
        growth = (_status("VmHWM") - rss_before) / 1e6
    server.shutdown()
    ratio = took / floor
    total = len(media) * args.episodes / 1e6
    print(
        f"import of {args.episodes} episodes ({total:.0f} MB, {args.concurrency} downloads at "
        f"once, {f'{args.rate:g} MB/s a connection' if args.rate else 'loopback speed'}): "
        f"{took:.2f} s; floor (the same downloads, nothing else): {floor:.2f} s; "
        f"ratio {ratio:.2f}x (goal <= {TIME_GOAL}x); RSS growth {growth:.0f} MB "
        f"(goal < {MEMORY_GOAL_MB} MB); {report.imported} imported, {report.failed} failed"
    )
    ok = ratio <= TIME_GOAL and growth < MEMORY_GOAL_MB and report.failed == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
