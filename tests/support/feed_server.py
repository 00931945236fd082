"""A small threaded HTTP server on 127.0.0.1 that serves feeds and media for the import tests.

    server.add("/feed.xml", body, content_type="application/rss+xml")
    server.add("/big", lambda: iter_chunks(...))       # a generator, made fresh per request
    server.redirect("/old", "/feed.xml", status=301)   # path or absolute URL
    server.url("/feed.xml")                             # -> "http://127.0.0.1:PORT/feed.xml"
    server.requests                                     # what arrived (path, headers)

A body given as bytes is sent with its Content-Length; a callable body is sent without one and
the connection closes at its end (HTTP/1.0), which is how a feed of unknown size arrives. The
`public_host` fixture makes a name that resolves to a public address and connects to this server,
so tests can check that the address guard stops a redirect from a public host to a private one.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

Body = bytes | Callable[[], Iterable[bytes]]


@dataclass
class Route:
    """What one path answers."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = b""


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]


def chunks(total: int, *, size: int = 64 * 1024, fill: bytes = b"\0", pause: float = 0) -> Body:
    """A lazy body of `total` bytes (or endless when total < 0), made chunk by chunk."""

    def generate() -> Iterator[bytes]:
        sent = 0
        block = (fill * (size // len(fill) + 1))[:size]
        while total < 0 or sent < total:
            piece = block if total < 0 else block[: total - sent]
            sent += len(piece)
            if pause:
                time.sleep(pause)
            yield piece

    return generate


def gzipped(body: bytes) -> bytes:
    """The body gzip-compressed (serve it with Content-Encoding: gzip)."""
    return gzip.compress(body)


@dataclass
class FeedServer:
    """Serves `routes` (path -> Route) on a free port of 127.0.0.1."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        """Its base URL, without a trailing slash."""
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        """The port it listens on."""
        assert self.server is not None
        return int(self.server.server_address[1])

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return self.base + path

    def add(
        self,
        path: str,
        body: Body = b"",
        *,
        status: int = 200,
        content_type: str | None = "application/rss+xml; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve body at path; returns the path's absolute URL."""
        all_headers = {"Content-Type": content_type} if content_type else {}
        all_headers.update(headers or {})
        self.routes[path] = Route(status, all_headers, body)
        return self.url(path)

    def redirect(self, path: str, to: str, *, status: int = 301) -> str:
        """Answer path with a redirect to `to` (a path here, or any absolute URL)."""
        return self.add(path, status=status, content_type=None, headers={"Location": to})

    def start(self) -> FeedServer:
        """Listen on a free port of 127.0.0.1 in a daemon thread."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, send_body: bool) -> None:
                owner.requests.append(Request(self.command, self.path, dict(self.headers.items())))
                route = owner.routes.get(self.path) or owner.routes.get(self.path.split("?")[0])
                if route is None:
                    route = Route(404, {"Content-Type": "text/plain"}, b"not found")
                try:
                    self.send_response(route.status)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    if isinstance(route.body, bytes):
                        self.send_header("Content-Length", str(len(route.body)))
                        self.end_headers()
                        if send_body:
                            self.wfile.write(route.body)
                        return
                    self.end_headers()
                    if send_body:
                        for piece in route.body():
                            self.wfile.write(piece)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading, as a guarded client should

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._answer(True)

            def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
                self._answer(False)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Shut down."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started FeedServer, stopped after the test."""
    server = FeedServer().start()
    yield server
    server.stop()


PUBLIC_ADDRESS = "93.184.216.34"  # a public address; connections to it land on the test server


@pytest.fixture
def public_host(feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """Base URL of a name that resolves to a public address and reaches `feed_server`.

    Only the name resolution and the final connect are redirected, so the address guard sees a
    public address and passes it, and any hop to 127.0.0.1 is still judged as what it is.
    """
    name = "public-feeds.test"
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.create_connection

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == name:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_ADDRESS, port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] == PUBLIC_ADDRESS:
            address = ("127.0.0.1", feed_server.port)
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return f"http://{name}:{feed_server.port}"
