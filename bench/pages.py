"""Median render time of the episode and home pages with 1,000 episodes, against a floor.

The floor is a bare endpoint rendering the same template with data loaded once: what the page
would cost with free queries. Run: .venv/bin/python bench/pages.py [--runs N]

With --shows N (N > 1) --episodes M it compares instead the warm pages (a show's home, an
episode page, the network home /) on a network of N shows of M episodes against 1 show of M
episodes (bench/network.py).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from flask import Flask, render_template  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from podcast import create_app, current  # noqa: E402
from podcast.extensions import db  # noqa: E402
from podcast.models import Episode, EpisodeGuest  # noqa: E402
from podcast.services import queries  # noqa: E402
from podcast.services.episode_input import parse_episode_input  # noqa: E402
from podcast.services.episodes import Attachments, create_episode  # noqa: E402
from podcast.services.guests import create_guest, parse_guest_input  # noqa: E402
from podcast.services.shows import create_show, set_artwork  # noqa: E402
from podcast.services.uploads import Upload  # noqa: E402
from podcast.views.public import presenters  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "fixtures" / "majlis-sample-episode.mp3"
COVER = ROOT / "tests" / "fixtures" / "majlis-cover-1400.jpg"
EPISODES = 1000
GOAL_MS = 10.0
NOTES = """A new report by **Equality Now** documents the gaps, country by country.

In this week's Majlis:

- **Janette Akhilgova**, Eurasia consultant at Equality Now, on what the report found;
- **Dilfuza Kurolova**, a human rights lawyer from Uzbekistan, on what survivors meet in court;
- **Subhiya Mastonshoeva**, a researcher on gender and justice, on prevention in Tajikistan.

[Read the report](https://example.org/report)
"""
TRANSCRIPT = "WEBVTT\n\n" + "\n\n".join(
    f"00:{i // 60:02d}:{i % 60:02d}.000 --> 00:{(i + 1) // 60:02d}:{(i + 1) % 60:02d}.000\n"
    f"<v {'Bruce Pannier' if i % 20 < 10 else 'Janette Akhilgova'}>Line {i} of what was said."
    for i in range(600)
)


def build(app: Flask) -> str:
    """A show, 3 guests with bios, one full episode and 999 more sharing its audio."""
    storage = app.extensions["podcast.storage"]
    show = create_show(
        db.session,
        {
            "title": "Majlis",
            "description": "RFE/RL's weekly podcast on Central Asia.",
            "owner_email": "podcasts@example.org",
            "timezone": "Europe/Prague",
            "categories": ["News > Politics"],
            "directory_links": {"apple": "https://podcasts.apple.com/x"},
        },
        app.config["PODCAST_SITE_URL"] + "/feed.xml",
    )
    set_artwork(db.session, storage, show, Upload(io.BytesIO(COVER.read_bytes()), "cover.jpg"))
    guests = [
        create_guest(db.session, parse_guest_input({"name": name, "bio": NOTES}))
        for name in ("Janette Akhilgova", "Dilfuza Kurolova", "Subhiya Mastonshoeva")
    ]
    data = parse_episode_input(
        {
            "title": "Silence and Impunity",
            "summary": "Three women explain why laws fail survivors.",
            "description": NOTES,
            "status": "published",
            "publish_at": "2026-11-20T10:00:00+01:00",
            "guests": [g.id for g in guests],
            "chapters": [{"start": s, "title": f"Chapter {s}"} for s in range(0, 18, 3)],
        },
        partial=False,
        timezone=show.timezone,
    )
    files = Attachments(
        audio=Upload(io.BytesIO(SAMPLE.read_bytes()), SAMPLE.name),
        transcript=Upload(io.BytesIO(TRANSCRIPT.encode()), "t.vtt"),
    )
    first = create_episode(db.session, storage, show, data, files, max_bytes=2**30)
    rows = [
        {
            "show_id": show.id,
            "guid": f"bench-{i}",
            "slug": f"episode-{i}",
            "title": f"Episode {i}: the week in Central Asia",
            "summary": "What happened this week and why it matters.",
            "description": NOTES,
            "status": "published",
            "episode_type": "full",
            "explicit": False,
            "publish_at": first.publish_at - timedelta(days=i),
            "audio_id": first.audio_id,
            "created_at": first.created_at,
            "updated_at": first.updated_at,
        }
        for i in range(1, EPISODES)
    ]
    db.session.execute(insert(Episode), rows)
    ids = db.session.scalars(select(Episode.id).where(Episode.id != first.id)).all()
    db.session.execute(
        insert(EpisodeGuest),
        [
            {"episode_id": e, "guest_id": g.id, "position": n, "role": "guest"}
            for e in ids
            for n, g in enumerate(guests)
        ],
    )
    db.session.commit()
    return first.slug


def add_floor(app: Flask) -> dict[str, Any]:
    """Bare endpoints rendering the same templates from data loaded once (filled in later)."""
    frozen: dict[str, Any] = {}

    @app.route("/_floor/episode")
    def floor_episode() -> str:
        return render_template("public/episode.html", **frozen["episode"])

    @app.route("/_floor/home")
    def floor_home() -> str:
        return render_template("public/index.html", **frozen["home"])

    return frozen


def freeze(app: Flask, slug: str, frozen: dict[str, Any]) -> None:
    """Load each page's template data once, as the real views would."""
    with app.test_request_context("/"):
        show = current.show()
        episode = queries.episode_page(db.session, slug)
        cues = presenters.transcript_cues(episode.transcript)
        previous, following = queries.neighbours(db.session, episode)
        frozen["episode"] = {
            "show": show,
            "episode": episode,
            "transcript": presenters.paragraphs(cues or []),
            "previous": previous,
            "following": following,
            "structured": presenters.episode_data(show, episode),
        }
        page = queries.episode_listing(db.session, "", 1)
        for item in page.items:  # touch what the template reads while the session is open
            _ = (item.guests, item.audio, item.image)
        frozen["home"] = {
            "show": show,
            "page": page,
            "query": "",
            "page_args": {},
            "series": presenters.series_data(show),
        }


def median_ms(client: Any, url: str, runs: int) -> float:
    """Median wall time of GET url in milliseconds (after a warm-up)."""
    for _ in range(5):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(times)


def network_figures(one: Flask, network: Flask, other: str) -> list[Any]:
    """The warm pages, each on 1 show and on the network (other: a show not the primary)."""
    from bench.network import Figure, handle

    def getter(app: Flask, url: str) -> Any:
        client = app.test_client()

        def get() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return get

    primary = handle(0)
    return [
        Figure(f"/shows/{primary}/ (primary's home)", getter(one, f"/shows/{primary}/"),
               getter(network, f"/shows/{primary}/")),
        Figure(f"/shows/{other}/ (another show's home)", getter(one, f"/shows/{primary}/"),
               getter(network, f"/shows/{other}/")),
        Figure("episode page, primary show", getter(one, f"/shows/{primary}/episodes/episode-10"),
               getter(network, f"/shows/{primary}/episodes/episode-10")),
        Figure("episode page, another show", getter(one, f"/shows/{primary}/episodes/episode-10"),
               getter(network, f"/shows/{other}/episodes/episode-10")),
        Figure("/ (1 show: its home; N: the network)", getter(one, "/"), getter(network, "/")),
    ]  # fmt: skip


def main() -> int:
    """Build the data, time the pages and the floor, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--shows", type=int, default=1, help="N > 1: compare N shows with 1")
    parser.add_argument("--episodes", type=int, default=500, help="episodes a show (--shows)")
    args = parser.parse_args()
    if args.shows > 1:
        from bench.network import compare

        return compare(
            args.shows, args.episodes, os.environ.get("PODCAST_BENCH_DATABASE_URL"),
            network_figures, args.runs,
            f"warm pages, {args.episodes} episodes a show, median of {args.runs} requests"
            " in-process (app.test_client())",
        )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "INSTANCE_PATH": Path(tmp) / "instance",
                "DATABASE_URL": os.environ.get("PODCAST_BENCH_DATABASE_URL")
                or f"sqlite:///{tmp}/bench.db",
                "STORAGE_URL": f"file://{tmp}/media",
                "SITE_URL": "https://podcast.example.org",
                "SECRET_KEY": "bench",
            }
        )
        frozen = add_floor(app)
        with app.app_context():
            db.create_all()
            slug = build(app)
        freeze(app, slug, frozen)
        client = app.test_client()
        figures = [
            ("episode page", f"/episodes/{slug}", "/_floor/episode"),
            ("home page", "/", "/_floor/home"),
        ]
        print(f"{EPISODES} episodes, median of {args.runs} renders via app.test_client()")
        print(f"{'page':<14}{'real (ms)':>11}{'floor (ms)':>12}{'goal (ms)':>11}  verdict")
        missed = False
        for name, url, floor_url in figures:
            real = median_ms(client, url, args.runs)
            floor = median_ms(client, floor_url, args.runs)
            verdict = "ok" if real < GOAL_MS else "MISSED"
            missed |= real >= GOAL_MS
            print(f"{name:<14}{real:>11.2f}{floor:>12.2f}{GOAL_MS:>11.1f}  {verdict}")
        with app.app_context():
            db.engine.dispose()
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
