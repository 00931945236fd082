"""Job queue benchmark: enqueue-to-start latency and throughput of no-op jobs, ours vs bare Huey.

Run from the repository root:  .venv/bin/python bench/jobs.py [--latency 200] [--jobs 1000]
    [--workers 4] [--redis redis://127.0.0.1:6379/0]
Each backend (SQLite queue file, Redis) runs `podcast worker` against a scratch SQLite database,
then a bare Huey task on the same backend with the same consumer settings. Latency: one job at a
time, from the enqueue call to the handler starting. Throughput: N jobs queued at once (ours:
in one transaction), until the last has finished.
"""

from __future__ import annotations

import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(sys.path[0])
PYTHON = sys.executable


def _quantiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return statistics.median(ordered), p99


def _bare_huey(url: str, name: str) -> Any:
    from huey import RedisHuey, SqliteHuey

    if url.startswith("sqlite:///"):
        return SqliteHuey(name, filename=url[len("sqlite:///") :], utc=True)
    return RedisHuey(name, url=url, utc=True)


def bare_consumer(url: str, name: str, workers: int) -> None:
    """Run a consumer for the bare task (a child process of the benchmark)."""
    huey = _bare_huey(url, name)
    _register_bare(huey)
    huey.create_consumer(
        workers=workers, worker_type="thread", initial_delay=0.05, backoff=1.5, max_delay=1.0,
        scheduler_interval=1, periodic=False,
    ).run()  # fmt: skip


def _register_bare(huey: Any) -> Any:
    @huey.task(name="bench.noop")
    def noop(sent: float) -> float:
        return time.time() - sent

    return noop


def bench_bare(url: str, name: str, workers: int, latency_n: int, jobs_n: int) -> dict[str, Any]:
    """Bare Huey: latency from the enqueue call to the task starting; throughput of N tasks."""
    huey = _bare_huey(url, name)
    noop = _register_bare(huey)
    consumer = subprocess.Popen(
        [PYTHON, __file__, "--bare-consumer", url, name, str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        noop(time.time()).get(blocking=True, timeout=60)  # warm up: the consumer is up
        latencies = [noop(time.time()).get(blocking=True, timeout=60) for _ in range(latency_n)]
        started = time.perf_counter()
        results = [noop(time.time()) for _ in range(jobs_n)]
        for result in results:
            result.get(blocking=True, timeout=300)
        elapsed = time.perf_counter() - started
    finally:
        consumer.terminate()
        consumer.wait(30)
        huey.storage.flush_all()
    median, p99 = _quantiles(latencies)
    return {"median": median, "p99": p99, "per_second": jobs_n / elapsed}


def bench_ours(
    queue_url: str, workdir: Path, workers: int, latency_n: int, jobs_n: int, database: str | None
) -> dict[str, Any]:
    """Our jobs: a row per job in the caller's transaction, handed after commit, run by a worker."""
    from sqlalchemy import func, select

    from podcast import create_app
    from podcast.extensions import db
    from podcast.jobs import Job, JobState, enqueue
    from podcast.jobs.queue import get_queue

    database = database or f"sqlite:///{workdir / 'bench.db'}"
    settings = {
        "INSTANCE_PATH": workdir / "instance", "DATABASE_URL": database, "SECRET_KEY": "bench",
        "STORAGE_URL": f"file://{workdir / 'media'}", "QUEUE_URL": queue_url,
    }  # fmt: skip
    app = create_app(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODCAST_")}
    env.update(
        PYTHONPATH=str(ROOT), PODCAST_DATABASE_URL=database, PODCAST_SECRET_KEY="bench",
        PODCAST_STORAGE_URL=settings["STORAGE_URL"], PODCAST_QUEUE_URL=queue_url,
    )  # fmt: skip
    with app.app_context():
        db.create_all()
        worker = subprocess.Popen(
            [PYTHON, "-c", "from podcast.cli.main import main; main()", "worker",
             "--workers", str(workers)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:

            def wait_done(job_id: int, timeout: float = 60) -> Job:
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    db.session.expire_all()
                    job = db.session.get(Job, job_id)
                    db.session.commit()
                    if job.state == JobState.DONE:
                        return job
                    time.sleep(0.002)
                raise RuntimeError(f"job {job_id} did not finish; is the worker up?")

            first = enqueue(db.session, "ping", {})
            db.session.commit()
            wait_done(first.id, 120)  # warm up
            latencies = []
            for _ in range(latency_n):
                job = enqueue(db.session, "ping", {})
                db.session.commit()
                done = wait_done(job.id)
                latencies.append((done.started_at - done.created_at).total_seconds())
            started = time.perf_counter()
            ids = [enqueue(db.session, "ping", {}) for _ in range(jobs_n)]
            db.session.commit()
            last = ids[-1].id
            while True:
                remaining = db.session.scalar(
                    select(func.count()).where(Job.id <= last, Job.state != JobState.DONE)
                )
                db.session.commit()
                if not remaining:
                    break
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(30)
            if queue_url.startswith("redis"):
                get_queue(app).huey.storage.flush_all()
            db.session.remove()
            db.drop_all()
    median, p99 = _quantiles(latencies)
    return {"median": median, "p99": p99, "per_second": jobs_n / elapsed}


def main() -> None:
    """Measure both backends and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=int, default=200, help="jobs run one at a time")
    parser.add_argument("--jobs", type=int, default=1000, help="jobs queued at once")
    parser.add_argument("--workers", type=int, default=4, help="consumer threads")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--database-url", help="job records here (an empty database) instead of scratch SQLite"
    )
    parser.add_argument("--bare-consumer", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_consumer:
        url, name, workers = args.bare_consumer
        bare_consumer(url, name, int(workers))
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp:
        for backend in ("sqlite", "redis"):
            work = Path(tmp) / backend
            work.mkdir()
            name = f"bench-{uuid.uuid4().hex[:8]}"
            if backend == "sqlite":
                ours_url = f"sqlite:///{work / 'queue.db'}"
                bare_url = f"sqlite:///{work / 'bare-queue.db'}"
            else:
                ours_url, bare_url = f"{args.redis}?queue={name}", args.redis
            ours = bench_ours(
                ours_url, work, args.workers, args.latency, args.jobs, args.database_url
            )
            bare = bench_bare(bare_url, name + "-bare", args.workers, args.latency, args.jobs)
            rows.append((backend, ours, bare))
    records = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
    print(f"job records on {records}; the bare Huey task keeps no records")
    print(
        f"{args.latency} jobs one at a time (latency), {args.jobs} queued at once (throughput), "
        f"{args.workers} worker threads"
    )
    print(f"{'backend':8} {'what':10} {'median ms':>10} {'p99 ms':>8} {'jobs/s':>8}")
    for backend, ours, bare in rows:
        for label, figures in (("ours", ours), ("bare huey", bare)):
            print(
                f"{backend:8} {label:10} {figures['median'] * 1000:10.1f} "
                f"{figures['p99'] * 1000:8.1f} {figures['per_second']:8.0f}"
            )


if __name__ == "__main__":
    main()
