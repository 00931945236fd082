"""Episode changes tell the WebSub hub and the show's webhooks, through jobs run in this process."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select, update
from support.api import app_with

from podcast import outbound
from podcast.extensions import db
from podcast.jobs import Job, JobState, run_queued
from podcast.jobs.queue import get_queue
from podcast.models import Episode, WebhookDelivery, utcnow
from podcast.notify.events import WEBHOOK_JOB, WEBSUB_JOB
from podcast.notify.release import announce_due
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import delete_episode, update_episode
from podcast.services.processing import PROCESS_JOB
from podcast.services.tagging import AUDIO_TAGS
from podcast.services.webhooks import create_webhook
from podcast.views.api.serializers import episode_json

FEED = "https://podcast.example.org/feed.xml"


@pytest.fixture
def hub(receiver):
    """A WebSub hub on 127.0.0.1."""
    return receiver(status=204)


@pytest.fixture
def app(tmp_path, _postgres_schema, hub):
    """The app with the hub set and webhooks allowed to reach 127.0.0.1."""
    settings = {"WEBSUB_HUB": f"{hub.url}/hub", "WEBHOOK_ALLOW_PRIVATE": True}
    with app_with(tmp_path, _postgres_schema, **settings) as application:
        yield application


def hook(show, target, path="/hooks/podcast"):
    """Add a webhook pointing at a receiver."""
    return create_webhook(db.session, show, target.url + path, allow_private=True)


def jobs(kind=None):
    """The notification jobs in the table, oldest first; the audio jobs an upload and publishing
    also queue (audio_process, audio_tags) only when asked for by kind."""
    db.session.expire_all()
    statement = select(Job).order_by(Job.id)
    if kind:
        statement = statement.where(Job.kind == kind)
    else:
        statement = statement.where(Job.kind.not_in((PROCESS_JOB, AUDIO_TAGS)))
    return list(db.session.scalars(statement))


def events():
    """The events of the queued webhook deliveries, in order."""
    return [job.payload["event"] for job in jobs(WEBHOOK_JOB)]


def edit(episode, storage, **raw):
    """Change an episode through the service every surface uses."""
    data = parse_episode_input(raw, partial=True, timezone="UTC")
    return update_episode(db.session, storage, episode, data, max_bytes=2**30)


def run_all():
    """Run every job that is due now (and again for those that follow); returns how many
    notification jobs ran (the audio jobs that also ran are not counted)."""
    before = len([job for job in jobs() if job.finished_at is not None])
    run_queued()
    return len([job for job in jobs() if job.finished_at is not None]) - before


def test_publishing_pings_the_hub_and_posts_a_signed_event(show, make_episode, receiver, hub):
    target = receiver()
    webhook = hook(show, target)
    episode = make_episode("Выборы в Узбекистане")
    assert [job.kind for job in jobs()] == [WEBSUB_JOB, WEBHOOK_JOB]
    assert run_all() == 2

    assert len(hub.requests) == 1
    ping = hub.requests[0]
    assert ping.path == "/hub"
    assert parse_qs(ping.body.decode()) == {"hub.mode": ["publish"], "hub.url": [FEED]}
    assert ping.headers["Content-Type"] == "application/x-www-form-urlencoded"

    assert len(target.requests) == 1
    delivery = target.requests[0]
    assert delivery.path == "/hooks/podcast"
    expected = hmac.new(webhook.secret.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["X-Podcast-Signature"] == f"sha256={expected}"
    body = json.loads(delivery.body)
    assert body["event"] == delivery.headers["X-Podcast-Event"] == "episode.published"
    assert body["delivery_id"] == delivery.headers["X-Podcast-Delivery"]
    # As published: the tagged copy of its MP3 (test_tags_rewrite.py) came after, under a new key,
    # and so did the upload's loudness measurement (test_processing_pipeline.py).
    now_json = episode_json(db.session.get(Episode, episode.id))
    later = {"audio": None, "loudness": None, "processing": None}
    assert {**body["episode"], **later} == {**now_json, **later}
    assert body["episode"]["title"] == "Выборы в Узбекистане"
    assert body["show"]["feed_url"] == FEED
    log = db.session.scalars(select(WebhookDelivery)).all()
    assert [(row.attempt, row.status_code, row.error) for row in log] == [(1, 204, "")]
    assert all(job.state == JobState.DONE for job in jobs())


def test_a_signature_made_with_another_secret_does_not_verify(show, make_episode, receiver):
    target = receiver()
    hook(show, target)
    make_episode()
    run_all()
    delivery = target.requests[0]
    forged = hmac.new(b"not the secret", delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["X-Podcast-Signature"] != f"sha256={forged}"


def test_each_change_of_the_public_face_is_one_event(show, make_episode, storage, receiver):
    hook(show, receiver())
    episode = make_episode()
    edit(episode, storage, title="Silence and Impunity, revised")
    edit(episode, storage, status="draft")
    edit(episode, storage, summary="A draft changes in silence.")
    edit(episode, storage, status="published")
    delete_episode(db.session, storage, episode)
    assert events() == [
        "episode.published",
        "episode.updated",
        "episode.unpublished",
        "episode.published",
        "episode.deleted",
    ]
    # The hub is pinged whenever the feed changed: all but the draft's edit.
    assert len(jobs(WEBSUB_JOB)) == 5


def test_drafts_tell_nobody(show, make_episode, storage, receiver):
    hook(show, receiver())
    draft = make_episode(status="draft")
    edit(draft, storage, title="Still a draft")
    delete_episode(db.session, storage, draft)
    assert jobs() == []


def test_a_deleted_episode_is_identified_by_what_it_was(show, make_episode, storage, receiver):
    target = receiver()
    hook(show, target)
    episode = make_episode("Ташкент")
    guid, episode_id = episode.guid, episode.id
    run_all()
    delete_episode(db.session, storage, episode)
    run_all()
    body = json.loads(target.requests[-1].body)
    assert body["event"] == "episode.deleted"
    identity = {"id": episode_id, "guid": guid, "slug": "tashkent", "title": "Ташкент"}
    assert body["episode"] == identity


def test_a_rolled_back_publish_sends_nothing(show, make_episode, receiver, hub, monkeypatch):
    target = receiver()
    hook(show, target)

    def refuse() -> None:
        raise RuntimeError("the database went away at commit")

    monkeypatch.setattr(db.session, "commit", refuse)
    with pytest.raises(RuntimeError):
        make_episode("Never published")
    monkeypatch.undo()
    assert db.session.scalar(select(func.count()).select_from(Episode)) == 0
    assert jobs() == []
    assert run_all() == 0
    assert target.requests == [] and hub.requests == []


def test_scheduled_episode_is_announced_once_when_its_time_comes(show, make_episode, receiver, hub):
    target = receiver()
    hook(show, target)
    soon = utcnow() + timedelta(hours=1)
    episode = make_episode(status="scheduled", publish_at=soon.isoformat())
    assert jobs() == [] and episode.release_pending
    assert announce_due(db.session, soon - timedelta(seconds=1)) == []
    assert announce_due(db.session, soon + timedelta(seconds=30)) == [episode.id]
    assert announce_due(db.session, soon + timedelta(seconds=90)) == []
    assert events() == ["episode.published"]
    assert [job.kind for job in jobs()] == [WEBHOOK_JOB, WEBSUB_JOB]
    run_all()
    assert json.loads(target.requests[0].body)["event"] == "episode.published"
    assert len(hub.requests) == 1


def test_editing_a_due_episode_before_the_sweep_announces_it_once(
    show, make_episode, storage, receiver
):
    hook(show, receiver())
    soon = utcnow() + timedelta(seconds=2)
    episode = make_episode(status="scheduled", publish_at=soon.isoformat())
    data = parse_episode_input({"title": "Edited at its hour"}, partial=True, timezone="UTC")
    later = soon + timedelta(seconds=5)
    update_episode(db.session, storage, episode, data, max_bytes=2**30, now=later)
    assert announce_due(db.session, later) == []
    assert events() == ["episode.published"]


def test_a_failing_receiver_is_logged_and_retried_with_the_same_delivery(
    show, make_episode, receiver
):
    target = receiver(status=500)
    hook(show, target)
    make_episode()
    run_all()
    [job] = jobs(WEBHOOK_JOB)
    assert (job.state, job.attempts) == (JobState.QUEUED, 1)
    assert job.error == "The receiver answered 500; a 2xx status was expected."
    assert job.available_at > utcnow()  # backs off

    target.status = 200
    assert run_queued(now=job.available_at + timedelta(seconds=1)) >= 1
    log = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [(row.attempt, row.status_code) for row in log] == [(1, 500), (2, 200)]
    first, second = target.requests
    assert first.headers["X-Podcast-Delivery"] == second.headers["X-Podcast-Delivery"]
    assert jobs(WEBHOOK_JOB)[0].state == JobState.DONE


def test_a_receiver_that_hangs_times_out(show, make_episode, receiver, monkeypatch):
    monkeypatch.setattr(outbound, "TIMEOUT_SECONDS", 0.5)
    hook(show, receiver(hang=True))
    make_episode()
    run_all()
    [job] = jobs(WEBHOOK_JOB)
    assert job.state == JobState.QUEUED and job.attempts == 1
    assert "did not answer within 0.5 seconds" in job.error
    [row] = db.session.scalars(select(WebhookDelivery)).all()
    assert row.status_code is None and "did not answer" in row.error


def test_a_removed_webhook_is_skipped(show, make_episode, receiver):
    target = receiver()
    webhook = hook(show, target)
    make_episode()
    db.session.delete(webhook)
    db.session.commit()
    run_all()
    assert target.requests == []
    skipped = "The webhook was removed before the delivery."
    assert jobs(WEBHOOK_JOB)[0].result == {"skipped": skipped}


def test_every_worker_sweeps_for_due_releases_every_minute(app, show, make_episode, receiver):
    hook(show, receiver())
    huey = get_queue(app).huey
    for moment in (datetime(2026, 11, 24, 0, 0), datetime(2026, 11, 24, 13, 37)):
        assert "podcast.release_due" in {task.name for task in huey.read_periodic(moment)}
    later = (utcnow() + timedelta(hours=1)).isoformat()
    episode = make_episode(status="scheduled", publish_at=later)
    past = utcnow() - timedelta(seconds=5)  # as if the hour had passed
    db.session.execute(update(Episode).where(Episode.id == episode.id).values(publish_at=past))
    db.session.commit()
    [sweep] = [task for task in huey.read_periodic(utcnow()) if task.name == "podcast.release_due"]
    huey.execute(sweep)
    assert events() == ["episode.published"]


def test_podcast_check_fix_unpublishing_a_broken_episode_tells_the_webhooks(
    show, make_episode, storage, receiver
):
    from podcast.services.maintenance import check_storage

    hook(show, receiver())
    episode = make_episode()
    storage.delete(episode.audio.key)  # the object is lost
    result = check_storage(db.session, storage, fix=True, older_than=0)
    assert result.unpublished == [episode.title]
    assert events() == ["episode.published", "episode.unpublished"]


def test_each_show_pings_the_hub_with_its_own_feed(show, second_show, make_episode, hub):
    make_episode("Majlis weekly")
    make_episode("Новости недели", in_show=second_show)
    assert run_all() == 2
    pinged = sorted(parse_qs(r.body.decode())["hub.url"][0] for r in hub.requests)
    assert pinged == sorted([FEED, FEED.replace("/feed.xml", "/shows/azattyk/feed.xml")])
