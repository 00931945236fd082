"""Helpers for the fault tests: a storage link to cut, moto on a fixed port, the real app."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from podcast.extensions import db
from podcast.models import Episode, MediaAsset, ReplacedMedia
from support.s3 import MotoProcess, free_port

VENV_BIN = Path(sys.executable).parent
PODCAST = str(VENV_BIN / "podcast")


class StorageLink:
    """A TCP hop between the app and S3 that a test cuts (a network outage) and restores.

    Cutting it drops every open connection and refuses new ones, as a dead endpoint does, while
    the S3 server behind keeps its state: what the outage left behind is still there afterwards.
    """

    def __init__(self, target_port: int) -> None:
        """Listen on a free port and forward each connection to 127.0.0.1:target_port."""
        self.target_port = target_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self.up()

    def up(self) -> None:
        """Accept connections again (same port)."""
        if self._listener is not None:
            return
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.05)
        self._accepting = threading.Thread(target=self._accept, args=(self._listener,), daemon=True)
        self._accepting.start()

    def down(self) -> None:
        """Close the port and every open connection: the endpoint is gone."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        listener.close()
        if self._accepting is not None:
            self._accepting.join(timeout=5)
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class MotoOnPort(MotoProcess):
    """A moto server process on a chosen port: a storage service restarted where it was."""

    def __init__(self, port: int) -> None:
        """Start moto on `port` (empty, as a restarted moto always is)."""
        from support import s3

        original = s3.free_port
        s3.free_port = lambda: port
        try:
            super().__init__()
        finally:
            s3.free_port = original


def port_of(url: str) -> int:
    """The port of an http://host:port URL."""
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def episodes_with_missing_audio(storage: Any) -> list[str]:
    """Titles of episodes whose audio row points at an object storage does not hold."""
    db.session.rollback()
    db.session.expire_all()
    rows = db.session.execute(
        select(Episode.title, MediaAsset.key).join(MediaAsset, Episode.audio_id == MediaAsset.id)
    )
    return [title for title, key in rows if not storage.exists(key)]


def objects_without_rows(storage: Any) -> list[str]:
    """Stored keys (and unfinished uploads) that no media row accounts for."""
    db.session.rollback()
    known = set(db.session.scalars(select(MediaAsset.key)))
    known |= set(db.session.scalars(select(ReplacedMedia.key)))  # kept for a grace period
    return sorted(set(storage.iter_keys()) - known) + storage.incomplete_uploads()


def assert_consistent(storage: Any) -> None:
    """No episode points at missing media, and no media is without its row."""
    assert episodes_with_missing_audio(storage) == []
    assert objects_without_rows(storage) == []


class AppProcess:
    """The real app (`podcast run`) in its own process, to be killed like a crashed worker."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        """Start the server on a free port and wait until it answers."""
        self.port = free_port()
        self.env = env
        self.proc = subprocess.Popen(
            [PODCAST, "run", "--host", "127.0.0.1", "--port", str(self.port), "--no-reload"],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app did not start: {self.proc.stderr.read().decode()}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("the app did not start in time")

    def kill(self) -> None:
        """SIGKILL: no cleanup code of the app runs, as when the OOM killer strikes."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


def run_cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real `podcast` console script."""
    return subprocess.run(
        [PODCAST, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def wait_for(condition: Any, timeout: float = 20.0, interval: float = 0.002) -> Any:
    """Poll until condition() is truthy and return its value; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("the awaited state never came")


@contextlib.contextmanager
def raw_upload(port: int, token: str, parts: list[tuple[str, str, bytes]]) -> Iterator[Any]:
    """Open a multipart POST to the API; yields send(n) which writes the next n body bytes."""
    boundary = "faulttestboundary7e1d"
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    head = (
        f"POST /api/v1/episodes HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nConnection: close\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(head)
    sent = 0

    def send(count: int | None = None) -> int:
        """Send the next `count` bytes (all that is left when None); returns how many remain."""
        nonlocal sent
        end = len(body) if count is None else min(len(body), sent + count)
        with contextlib.suppress(OSError):  # the server may be dead already
            sock.sendall(body[sent:end])
        sent = end
        return len(body) - sent

    try:
        yield send
    finally:
        sock.close()
