"""A feed poll without a database round trip: each worker trusts the feed state it read for
PODCAST_FEED_STATE_SECONDS, forgets it when this process writes, and never past a release."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, text
from support.api import app_with

from podcast import current
from podcast.extensions import db
from podcast.feed import cache
from podcast.models import utcnow
from podcast.services.shows import update_show

WINDOW = 30.0


@pytest.fixture
def app(tmp_path, _postgres_schema):
    """The app trusting a feed state for 30 s (long enough that only the rules end it)."""
    with app_with(tmp_path, _postgres_schema, FEED_STATE_SECONDS=WINDOW) as application:
        yield application


@pytest.fixture
def clock(monkeypatch):
    """The monotonic clock the window reads, moved by hand: clock.advance(seconds)."""

    class Clock:
        now = 1000.0

        def advance(self, seconds: float) -> None:
            self.now += seconds

    moved = Clock()
    monkeypatch.setattr(cache.time, "monotonic", lambda: moved.now)
    return moved


def _statements_during(app, action) -> int:
    """How many SQL statements the database saw while `action` ran."""
    seen = []

    def count(*_args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def _other_worker_retitles(app, title: str) -> None:
    """A write made by another process: its own connection, no session of this one."""
    url = app.config["PODCAST_DATABASE_URL"]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE show SET title = :title, revision = revision + 1"), {"title": title}
        )
    engine.dispose()
    db.session.expire_all()  # the tests share one session; a worker's request starts afresh


def test_a_repeated_poll_asks_the_database_nothing(app, client, show, make_episode, clock):
    make_episode()
    first = client.get("/feed.xml")
    assert first.status_code == 200
    feed_cache = current.feed_cache(app)
    reads = feed_cache.state_reads
    polls = []
    assert _statements_during(app, lambda: polls.append(client.get("/feed.xml"))) == 0
    assert polls[0].data == first.data and polls[0].headers["ETag"] == first.headers["ETag"]
    conditional = client.get("/feed.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert conditional.status_code == 304
    assert feed_cache.state_reads == reads


def test_an_edit_in_this_process_is_served_at_once(app, client, show, make_episode, clock):
    make_episode()
    before = client.get("/feed.xml")
    update_show(db.session, show, {"title": "Majlis: Central Asia weekly"})
    after = client.get("/feed.xml")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert b"<title>Majlis: Central Asia weekly</title>" in after.data


def test_another_workers_edit_is_served_once_the_window_passes(
    app, client, show, make_episode, clock
):
    make_episode()
    before = client.get("/feed.xml")
    _other_worker_retitles(app, "Majlis from another worker")
    assert client.get("/feed.xml").headers["ETag"] == before.headers["ETag"]  # within bound
    clock.advance(WINDOW + 0.1)
    after = client.get("/feed.xml")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert b"<title>Majlis from another worker</title>" in after.data


def test_a_scheduled_release_is_served_when_due_whatever_the_window(app, show, make_episode, clock):
    from podcast.views.public.feed import current_feed

    make_episode()
    due = utcnow() + timedelta(minutes=5)
    future = make_episode("Later", status="scheduled", publish_at=due.isoformat())
    with app.test_request_context("/feed.xml"):
        rendered, _state = current_feed(utcnow())
        assert future.guid.encode() not in rendered.body
        later, _state = current_feed(due + timedelta(seconds=1))
        assert future.guid.encode() in later.body


def test_with_no_window_every_poll_reads_the_state(app, client, show, make_episode):
    feed_cache = current.feed_cache(app)
    assert feed_cache.state_seconds == WINDOW  # from PODCAST_FEED_STATE_SECONDS
    feed_cache.state_seconds = 0
    make_episode()
    client.get("/feed.xml")
    reads = feed_cache.state_reads
    client.get("/feed.xml")
    assert feed_cache.state_reads == reads + 1
