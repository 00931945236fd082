"""Time a 96 MB upload through `POST /api/v1/episodes` against boto3's upload_file (the floor),
both into the same moto S3 server, side by side in one run.

Usage: .venv/bin/python bench/upload.py [--runs N] [--minutes M]

A 100-minute 128 kbit/s MP3 (~96 MB) is synthesized; moto's server runs in its own process.
Each run alternates: the floor, `upload_file` in a fresh process (client warmed first); then the
API, served by a fresh gunicorn worker (one sync worker, as `make serve` runs it) warmed by a
small upload, which receives the multipart body streamed from disk by an HTTP client, inspects
it, stores it and commits the episode. The API's time is the client's, from the first byte sent
to the 201. Memory is the growth of the worker's peak RSS (VmHWM, reset after the warm-up).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds scripts whose names could shadow modules: put the repository root (and tests/,
# for the MP3 synthesizer, the moto launcher and the seed helpers) in its place.
sys.path[0:1] = [str(ROOT), str(ROOT / "tests")]

TIME_GOAL = 1.2  # API time / floor time
MEMORY_GOAL_MB = 64
BUCKET = "bench"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}
BOUNDARY = "benchuploadboundary5f0c"


def floor_worker(path: str, endpoint: str) -> None:
    """One upload_file in this fresh process; prints seconds and peak RSS growth as JSON."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"})
    )
    client.head_bucket(Bucket=BUCKET)  # warm: connection, credentials
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    key = f"floor/{uuid.uuid4()}.mp3"
    client.upload_file(path, BUCKET, key)
    seconds = time.perf_counter() - started
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    client.delete_object(Bucket=BUCKET, Key=key)  # moto holds objects in memory
    print(json.dumps({"seconds": seconds, "rss_growth_mb": growth}))


def _run_floor(path: Path, endpoint: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--floor", str(path), endpoint],
        env={**os.environ, **CREDENTIALS}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _multipart(audio: Path, title: str) -> tuple[bytes, bytes, int]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\n{title}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="status"\r\n\r\ndraft\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="audio"; filename="{audio.name}"'
        "\r\nContent-Type: audio/mpeg\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, tail, len(head) + audio.stat().st_size + len(tail)


def post_episode(port: int, token: str, audio: Path, title: str) -> tuple[float, dict[str, object]]:
    """Stream a multipart create from disk; returns the seconds to the answer and its JSON."""
    head, tail, length = _multipart(audio, title)
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.putrequest("POST", "/api/v1/episodes")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    conn.putheader("Content-Length", str(length))
    conn.endheaders()
    conn.send(head)
    with audio.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            conn.send(chunk)
    conn.send(tail)
    sent = time.perf_counter()
    response = conn.getresponse()
    body = json.loads(response.read())
    seconds = time.perf_counter() - started
    body["_after_body_s"] = time.perf_counter() - sent
    conn.close()
    if response.status != 201:
        raise RuntimeError(f"the API answered {response.status}: {body}")
    return seconds, body


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Gunicorn:
    """A gunicorn master with one sync worker serving wsgi:app, started and stopped by us."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", "1", "--timeout", "300",
             "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
            if children.split():
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    self.worker = int(children.split()[0])
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        """SIGTERM the master (it stops its worker), then wait."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)


def _run_api(env: dict[str, str], token: str, audio: Path, warm: Path) -> dict[str, float]:
    server = Gunicorn(env)
    try:
        post_episode(server.port, token, warm, "warm-up")  # imports, S3 client, connections
        worker = server.worker
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        before = _status_kb(worker, "VmRSS")
        cpu = _cpu_seconds(worker)
        seconds, body = post_episode(server.port, token, audio, "Долгий разговор")
        growth = (_status_kb(worker, "VmHWM") - before) / 1024
        cpu = _cpu_seconds(worker) - cpu
    finally:
        server.stop()
    audio_json = body["audio"]
    assert isinstance(audio_json, dict)
    return {
        "seconds": seconds,
        "after_body_s": float(str(body["_after_body_s"])),
        "rss_growth_mb": growth,
        "cpu_s": cpu,
        "size": float(audio_json["size_bytes"]),
        "duration_s": float(str(body["duration_seconds"])),
    }


def _empty_bucket(client: object) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):  # type: ignore[attr-defined]
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=obj["Key"])  # type: ignore[attr-defined]


def _setup(env: dict[str, str]) -> str:
    """Migrate the database, create the show and a producer's token; returns the token."""
    subprocess.run(
        [str(Path(sys.executable).parent / "podcast"), "db", "upgrade"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    os.environ.update(env)
    from support.api import seed_show_and_token

    from podcast import create_app
    from podcast.extensions import db

    app = create_app()
    with app.app_context():
        token = seed_show_and_token()["Authorization"].split()[1]
        db.session.remove()
        db.engine.dispose()
    return token


def _fig(values: list[float]) -> str:
    return f"{statistics.median(values):>9.2f}{min(values):>9.2f}"


def main() -> int:
    """Synthesize the file, start moto and the app, alternate floor and API runs, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--minutes", type=int, default=100)
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)

    from support import mpeg_synth
    from support.data import SAMPLE_MP3
    from support.s3 import MotoProcess, s3_client

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.mp3"
        synth = mpeg_synth.write_cbr_minutes(path, args.minutes)
        server = MotoProcess()
        try:
            client = s3_client(server.endpoint)
            client.create_bucket(Bucket=BUCKET)
            env = {
                **os.environ,
                **CREDENTIALS,
                "PODCAST_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "PODCAST_STORAGE_URL": f"s3://{BUCKET}/media",
                "PODCAST_S3_ENDPOINT_URL": server.endpoint,
                "PODCAST_SECRET_KEY": "bench-secret",
                "PODCAST_MAX_UPLOAD_MB": "1000",
                "PYTHONPATH": str(ROOT),  # this checkout's code, whatever the venv installed
            }
            token = _setup(env)
            runs: dict[str, list[dict[str, float]]] = {"floor": [], "api": []}
            for _ in range(args.runs):  # alternate, so drift hits both alike
                runs["floor"].append(_run_floor(path, server.endpoint))
                runs["api"].append(_run_api(env, token, path, SAMPLE_MP3))
                _empty_bucket(client)
        finally:
            server.stop()

    floors = [r["seconds"] for r in runs["floor"]]
    apis = [r["seconds"] for r in runs["api"]]
    # Each API run is paired with the floor run just before it, so that load on the machine
    # weighs on both alike; the goal is judged on the median of these paired ratios.
    ratio = statistics.median(a / f for a, f in zip(apis, floors, strict=True))
    api_rss = max(r["rss_growth_mb"] for r in runs["api"])
    floor_rss = max(r["rss_growth_mb"] for r in runs["floor"])
    read = runs["api"][0]["duration_s"]
    print(
        f"file: {synth.size / 1e6:.1f} MB, {synth.seconds / 60:.0f} min MP3 "
        f"(the API read {read / 60:.2f} min); {args.runs} runs each"
    )
    print(f"{'figure':<40}{'median':>9}{'best':>9}{'goal':>12}")
    print(f"{'boto3 upload_file (floor), s':<40}{_fig(floors)}{'':>12}")
    print(f"{'POST /api/v1/episodes (gunicorn), s':<40}{_fig(apis)}{'':>12}")
    print(f"{'API / floor (paired)':<40}{ratio:>8.2f}x{min(apis) / min(floors):>8.2f}x"
          f"{f'<= {TIME_GOAL}x':>12}")  # fmt: skip
    print(f"{'API worker peak RSS growth (max), MB':<40}{api_rss:>9.1f}{'':>9}"
          f"{f'< {MEMORY_GOAL_MB}':>12}")  # fmt: skip
    print(f"{'floor peak RSS growth (max), MB':<40}{floor_rss:>9.1f}")
    pairs = zip(floors, apis, strict=True)
    print("runs, floor/API s: " + ", ".join(f"{f:.2f}/{a:.2f}" for f, a in pairs))
    tails = ", ".join(f"{r['after_body_s']:.2f}" for r in runs["api"])
    print(f"API: seconds from the body's last byte to the 201: {tails}")
    cpu = statistics.median(r["cpu_s"] for r in runs["api"])
    print(
        f"API worker CPU time (median): {cpu:.2f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    ok = ratio <= TIME_GOAL and api_rss < MEMORY_GOAL_MB and abs(read - synth.seconds) < 1
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--floor":
        floor_worker(*sys.argv[2:])
    else:
        sys.exit(main())
