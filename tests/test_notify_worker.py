"""Notifications through a real `podcast worker`: the hub, signed webhooks, a hanging receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select
from support.api import app_with
from support.worker import running_worker, wait_for

from podcast.extensions import db
from podcast.jobs import Job, JobState
from podcast.models import Episode, WebhookDelivery
from podcast.notify.events import WEBHOOK_JOB
from podcast.services.webhooks import create_webhook

FEED = "https://podcast.example.org/feed.xml"


@pytest.fixture
def hub(receiver):
    """A WebSub hub on 127.0.0.1."""
    return receiver(status=202)


@pytest.fixture
def app(tmp_path, _postgres_schema, hub):
    """The app with the hub set, on a queue of its own a worker process can share."""
    settings = {
        "WEBSUB_HUB": f"{hub.url}/hub",
        "WEBHOOK_ALLOW_PRIVATE": True,
        "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
    }
    with app_with(tmp_path, _postgres_schema, **settings) as application:
        yield application


def _deliveries(webhook_id: int) -> list[WebhookDelivery]:
    db.session.rollback()
    statement = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    rows = list(db.session.scalars(statement))
    db.session.commit()
    return rows


def test_a_worker_tells_the_hub_and_the_webhooks_and_a_hanging_one_does_not_stall_it(
    app, show, make_episode, receiver, hub, monkeypatch, tmp_path
):
    hanging, target = receiver(hang=True), receiver(status=200)
    slow = create_webhook(db.session, show, f"{hanging.url}/slow", allow_private=True)
    fine = create_webhook(db.session, show, f"{target.url}/fine", allow_private=True)
    secret, slow_id = fine.secret, slow.id

    def refuse() -> None:
        raise RuntimeError("the database went away at commit")

    monkeypatch.setattr(db.session, "commit", refuse)
    with pytest.raises(RuntimeError):
        make_episode("Never published")
    monkeypatch.undo()
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0

    env = {
        "PODCAST_SITE_URL": app.config["PODCAST_SITE_URL"],
        "PODCAST_WEBSUB_HUB": f"{hub.url}/hub",
        "PODCAST_WEBHOOK_ALLOW_PRIVATE": "1",
    }
    with running_worker(app, tmp_path / "worker.log", workers=1, **env) as worker:
        episode = make_episode("Выборы в Узбекистане")
        episode_id = episode.id
        # One worker thread: the hanging receiver's delivery times out, then the next one runs.
        wait_for(lambda: target.requests, f"the webhook delivery\n{worker.output()}", 60)
        wait_for(lambda: hub.requests, "the WebSub ping", 30)
        [attempt] = wait_for(lambda: _deliveries(slow_id), "the hanging delivery's log", 30)

    assert attempt.status_code is None
    assert "did not answer within 5 seconds" in attempt.error
    db.session.rollback()
    [slow_job] = [
        job
        for job in db.session.scalars(select(Job).where(Job.kind == WEBHOOK_JOB))
        if job.payload["webhook_id"] == slow_id
    ]
    assert slow_job.state == JobState.QUEUED and slow_job.attempts == 1  # to be retried

    assert parse_qs(hub.requests[0].body.decode()) == {"hub.mode": ["publish"], "hub.url": [FEED]}
    # The rolled-back publish sent nothing: the one delivery is the committed episode's.
    [delivery] = target.requests
    expected = hmac.new(secret.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["X-Podcast-Signature"] == f"sha256={expected}"
    body = json.loads(delivery.body)
    assert body["event"] == "episode.published"
    assert body["episode"]["id"] == episode_id
    assert body["episode"]["title"] == "Выборы в Узбекистане"
    assert body["episode"]["url"].startswith("https://podcast.example.org/")
    assert db.session.get(Episode, episode_id) is not None
