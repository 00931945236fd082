"""Load test: wrk on the feed, home and episode pages while a producer publishes via the API.

Goals (issue 7): no 5xx, no malformed feed at any moment (sampled and parsed during the run),
every new episode in the feed on the first feed request after its commit.

Runs gunicorn (2 workers) on a fresh PostgreSQL database (SQLite if PostgreSQL is not there)
and local storage, all on 127.0.0.1; stops by itself.
Usage: .venv/bin/python bench/load.py [--seconds 60] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import lxml.etree

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SAMPLE = ROOT / "tests" / "fixtures" / "majlis-sample-episode.mp3"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_database() -> tuple[str, str | None]:
    """A fresh PostgreSQL database (URL, name), or SQLite when PostgreSQL is not reachable."""
    try:
        import psycopg

        name = f"podcast_load_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:5432/{name}", name
    except Exception:  # noqa: BLE001 - any failure means: use SQLite
        return "", None


def drop_database(name: str | None) -> None:
    """Drop the database made for the run."""
    if name:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def multipart(fields: dict[str, str], file_field: str, path: Path) -> tuple[bytes, str]:
    """A multipart/form-data body with text fields and one file."""
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        header = f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
        parts.append(f"{header}{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{path.name}"\r\nContent-Type: audio/mpeg\r\n\r\n'.encode()
        + path.read_bytes()
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Producer(threading.Thread):
    """Publishes an episode, then checks it is in the very next feed request; also edits."""

    def __init__(self, base: str, token: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.stop_event = base, token, stop
        self.published = self.late = self.errors = self.edits = 0

    def _request(self, method: str, path: str, body: bytes | None, content_type: str) -> dict:
        request = urllib.request.Request(
            self.base + path,
            data=body,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": content_type},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def run(self) -> None:
        """Publish and edit until stopped."""
        number = 0
        while not self.stop_event.is_set():
            number += 1
            try:
                body, ctype = multipart(
                    {"title": f"Load episode {number} — Выпуск", "status": "published"},
                    "audio",
                    SAMPLE,
                )
                created = self._request("POST", "/api/v1/episodes", body, ctype)
                self.published += 1
                with urllib.request.urlopen(self.base + "/feed.xml", timeout=30) as response:
                    if created["guid"].encode() not in response.read():
                        self.late += 1
                patch = json.dumps({"summary": f"Edited {number}"}).encode()
                self._request(
                    "PATCH", f"/api/v1/episodes/{created['id']}", patch, "application/json"
                )
                self.edits += 1
            except (urllib.error.URLError, KeyError, ValueError, TimeoutError) as exc:
                self.errors += 1
                print(f"producer error: {exc}", file=sys.stderr)
            self.stop_event.wait(1.0)


class FeedSampler(threading.Thread):
    """Fetches and strictly parses the feed over and over."""

    def __init__(self, base: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base, self.stop_event = base, stop
        self.samples = self.malformed = self.server_errors = 0

    def run(self) -> None:
        """Sample until stopped."""
        while not self.stop_event.is_set():
            try:
                with urllib.request.urlopen(self.base + "/feed.xml", timeout=30) as response:
                    lxml.etree.fromstring(response.read())
                self.samples += 1
            except urllib.error.HTTPError as exc:
                self.server_errors += exc.code >= 500
            except lxml.etree.XMLSyntaxError:
                self.malformed += 1
            self.stop_event.wait(0.2)


def run_wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    """Run wrk on one URL; returns requests/s and the count of non-2xx/3xx responses."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    return {
        "rps": rps,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "p99": p99.group(0) if p99 else "",
    }


def main() -> int:
    """Run the load test and print the figures against the goals."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="podcast-load-"))
    database_url, database_name = make_database()
    env = {
        **os.environ,
        "PODCAST_DATABASE_URL": database_url or f"sqlite:///{workdir / 'load.db'}",
        "PODCAST_STORAGE_URL": f"file://{workdir / 'media'}",
        "PODCAST_SECRET_KEY": "load-test",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env["PODCAST_SITE_URL"] = base
    podcast = str(BIN / "podcast")
    server = None
    try:
        subprocess.run([podcast, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([podcast, "load-episodes"], env=env, check=True, capture_output=True)
        subprocess.run(
            [podcast, "create-user", "load@example.org", "--password", "load-test-password"],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        token = subprocess.run(
            [podcast, "create-token", "load@example.org"],
            env=env, check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT),
             "wsgi:app"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/feed.xml", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        stop = threading.Event()
        producer, sampler = Producer(base, token, stop), FeedSampler(base, stop)
        producer.start()
        sampler.start()
        results = {}
        threads = []
        for name, path in (
            ("feed", "/feed.xml"),
            ("home", "/"),
            ("episode", "/episodes/sexual-violence-in-central-asia"),
        ):
            thread = threading.Thread(
                target=lambda n=name, p=path: results.__setitem__(
                    n, run_wrk(base + p, args.seconds, args.connections)
                )
            )
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
        stop.set()
        producer.join(timeout=60)
        sampler.join(timeout=60)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop_database(database_name)
        shutil.rmtree(workdir, ignore_errors=True)

    backend = "PostgreSQL" if database_name else "SQLite"
    print(
        f"load test: {args.seconds} s, gunicorn 2 workers, {backend}, wrk {args.connections} "
        "connections per URL, 3 URLs at once, a producer publishing and editing via the API"
    )
    for name, figures in results.items():
        print(f"  {name:8} {figures['rps']:8.0f} req/s   non-2xx/3xx: {figures['non_2xx']}   "
              f"{figures['p99']}")  # fmt: skip
    print(f"  producer: {producer.published} published, {producer.edits} edited, "
          f"{producer.errors} errors")  # fmt: skip
    print(f"  feed sampled {sampler.samples} times: {sampler.malformed} malformed, "
          f"{sampler.server_errors} 5xx (goal: 0 and 0)")  # fmt: skip
    print(f"  new episode missing from the first feed request after its commit: {producer.late} "
          "(goal: 0)")  # fmt: skip
    failures = (
        sum(f["non_2xx"] for f in results.values()) + sampler.malformed + sampler.server_errors
        + producer.late + producer.errors
    )  # fmt: skip
    print("PASS" if failures == 0 and producer.published else "FAIL")
    return 0 if failures == 0 and producer.published else 1


if __name__ == "__main__":
    sys.exit(main())
