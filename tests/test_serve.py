"""`make serve`'s Procfile: the site and a worker start together and stop together on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from support.worker import free_port, job_row, wait_for, worker_env

from podcast import PROJECT_ROOT
from podcast.extensions import db
from podcast.jobs import JobState, enqueue

HONCHO = Path(sys.executable).parent / "honcho"


def _marked(marker: str) -> list[int]:
    """Processes whose environment carries the marker: everything honcho started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ:
            found.append(int(entry.name))
    return found


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.skipif(not HONCHO.exists(), reason="honcho is not installed")
def test_ctrl_c_stops_the_site_and_the_worker_leaving_no_process(app, tmp_path):
    marker = f"PODCAST_TEST_MARKER=serve-{uuid.uuid4().hex}"
    port = free_port()
    env = worker_env(app, WORKERS="1", HOST="127.0.0.1")
    env[marker.split("=")[0]] = marker.split("=")[1]
    log = (tmp_path / "serve.log").open("wb")
    honcho = subprocess.Popen(
        [str(HONCHO), "start", "--no-colour", "--port", str(port)],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/robots.txt"), "the site", 60)
        job = enqueue(db.session, "ping", {})
        db.session.commit()
        wait_for(lambda: job_row(job.id).state == JobState.DONE, "the worker to run a job", 60)
        started = _marked(marker)
        assert len(started) >= 3  # honcho, gunicorn's master and worker, podcast worker

        os.kill(honcho.pid, signal.SIGINT)  # what Ctrl-C sends
        honcho.wait(30)
        wait_for(lambda: not _marked(marker), "every process to be gone", 15)
        assert not _answers(f"http://127.0.0.1:{port}/robots.txt")
    finally:
        for pid in _marked(marker):
            os.kill(pid, signal.SIGKILL)
        log.close()
