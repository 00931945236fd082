"""For import tests: media served on 127.0.0.1, source shows built by hand, and a fetcher that
reads them (the real fetch and parse layer has its own tests)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from podcast.errors import PodcastError
from podcast.imports.fetcher import Fetcher
from podcast.imports.source import (
    SourceChapter,
    SourceEnclosure,
    SourceEpisode,
    SourceFunding,
    SourcePerson,
    SourceShow,
    SourceTranscript,
)


@dataclass
class Served:
    """What one path answers."""

    body: bytes
    content_type: str = "audio/mpeg"
    status: int = 200


@dataclass
class MediaServer:
    """A threaded HTTP server on 127.0.0.1 answering each path from `files`."""

    files: dict[str, Served] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        """The absolute URL of a path."""
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def start(self) -> MediaServer:
        """Serve in a daemon thread."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner.hits.append(self.path)
                served = owner.files.get(self.path) or Served(b"not found", "text/plain", 404)
                self.send_response(served.status)
                self.send_header("Content-Type", served.content_type)
                self.send_header("Content-Length", str(len(served.body)))
                self.end_headers()
                self.wfile.write(served.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Fetched:
    url: str
    final_url: str
    body: bytes
    content_type: str


def _get(url: str, max_bytes: int) -> tuple[bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - tests, 127.0.0.1
            body = response.read(max_bytes + 1)
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raise PodcastError(f"The server answered {exc.code} for {url}.") from None
    if len(body) > max_bytes:
        raise PodcastError(f"{url} is larger than the limit.")
    return body, kind


def hand_fetcher(source: SourceShow | list[SourceShow]) -> Fetcher:
    """A fetcher whose read_source gives `source` (or the next of a list, each call)."""
    queue = list(source) if isinstance(source, list) else None

    def read_source(url: str, **_: Any) -> SourceShow:
        if queue is not None:
            return queue.pop(0) if len(queue) > 1 else queue[0]
        assert isinstance(source, SourceShow)
        return source

    def download_to(url: str, fileobj: Any, *, max_bytes: int, **_: Any) -> Fetched:
        body, kind = _get(url, max_bytes)
        fileobj.write(body)
        return Fetched(url, url, b"", kind)

    def fetch_small(url: str, *, max_bytes: int = 2 * 1024 * 1024, **_: Any) -> Fetched:
        body, kind = _get(url, max_bytes)
        return Fetched(url, url, body, kind)

    def parse_chapters_json(body: bytes) -> list[SourceChapter]:
        import json

        return [
            SourceChapter(float(c["startTime"]), c.get("title", ""), c.get("url", ""))
            for c in json.loads(body)["chapters"]
        ]

    return Fetcher(read_source, download_to, fetch_small, parse_chapters_json)


BASE_DATE = datetime(2024, 1, 5, 6, 0, tzinfo=UTC)


def source_episode(
    number: int, media_url: str, *, length: int | None = None, **changes: Any
) -> SourceEpisode:
    """An item like hosts write them; `changes` override any field."""
    episode = SourceEpisode(
        guid=f"https://old-host.example.com/?p={number}",
        guid_is_enclosure_url=False,
        title=f"Episode {number}: the news",
        published_at=BASE_DATE + timedelta(days=7 * number),
        description_html=f"<p>Notes of <b>episode {number}</b>.</p><script>x()</script>",
        summary=f"Summary {number}",
        link=f"https://old-host.example.com/ep{number}",
        enclosure=SourceEnclosure(media_url, length, "audio/mpeg"),
        duration_seconds=None,
        season=1,
        number=number,
        episode_type="full",
        explicit=False,
        image_url="",
        chapters_url="",
        persons=[SourcePerson("Dilfuza Kurolova", "guest", href="https://example.com/dilfuza")],
    )
    return replace(episode, **changes)


def source_show(feed_url: str, episodes: list[SourceEpisode], **changes: Any) -> SourceShow:
    """A channel like hosts write them; `changes` override any field."""
    show = SourceShow(
        feed_url=feed_url,
        title="Old Host Show",
        description_html="<p>A show <i>from</i> elsewhere.</p>",
        subtitle="Elsewhere",
        link="https://old-host.example.com/",
        language="en",
        author="Old Author",
        owner_name="Old Owner",
        owner_email="owner@old-host.example.com",
        image_url="",
        categories=[["News", "Politics"]],
        explicit=False,
        show_type="episodic",
        copyright="© Old Host",
        podcast_guid="",
        locked=False,
        locked_owner_email="",
        complete=False,
        new_feed_url="",
        funding=[SourceFunding("https://old-host.example.com/support", "Support us")],
        persons=[SourcePerson("Bruce Pannier", "host")],
        episodes=episodes,
    )
    return replace(show, **changes)


__all__ = [
    "MediaServer", "Served", "SourceTranscript", "hand_fetcher", "source_episode", "source_show",
]  # fmt: skip
