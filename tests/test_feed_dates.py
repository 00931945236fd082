"""lastBuildDate never goes backwards and equals Last-Modified: one monotonic content time."""

from __future__ import annotations

import io
from datetime import timedelta
from email.utils import parsedate_to_datetime

from lxml import etree
from sqlalchemy import update
from support.data import SAMPLE_MP3

from podcast.extensions import db
from podcast.models import Episode, utcnow
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import (
    Attachments,
    create_episode,
    delete_episode,
    update_episode,
)
from podcast.services.uploads import Upload


def dates(client) -> tuple:
    """(lastBuildDate, Last-Modified, body) of the feed as served now."""
    response = client.get("/feed.xml")
    assert response.status_code == 200
    stated = etree.fromstring(response.data).find("channel").findtext("lastBuildDate")
    built = parsedate_to_datetime(stated)
    assert built == parsedate_to_datetime(response.headers["Last-Modified"])
    return built, response.data


def test_content_time_only_moves_forward_and_is_last_modified(client, show, storage):
    start = utcnow() - timedelta(days=10)

    def create(title, at, **raw):
        data = parse_episode_input({"title": title, **raw}, partial=False, timezone="UTC")
        files = Attachments(audio=Upload(io.BytesIO(SAMPLE_MP3.read_bytes()), "a.mp3"))
        return create_episode(db.session, storage, show, data, files, max_bytes=2**30, now=at)

    def edit(episode, at, **raw):
        data = parse_episode_input(raw, partial=True, timezone="UTC")
        update_episode(db.session, storage, episode, data, max_bytes=2**30, now=at)

    older = create("Older", start, status="published")
    newest = create("Newest", start + timedelta(hours=2), status="published")
    seen = [dates(client)]

    # A draft changes nothing listeners see: same bytes, same dates.
    draft = create("A draft", start + timedelta(hours=3), status="draft")
    edit(draft, start + timedelta(hours=4), title="Still a draft")
    assert dates(client) == seen[-1]

    # A scheduled episode goes live by the clock alone.
    soon = create("Soon", start + timedelta(hours=5), status="scheduled",
                  publish_at=(utcnow() + timedelta(days=1)).isoformat())  # fmt: skip
    assert dates(client) == seen[-1]
    live_at = start + timedelta(hours=6)
    db.session.execute(update(Episode).where(Episode.id == soon.id).values(publish_at=live_at))
    db.session.commit()
    seen.append(dates(client))
    assert seen[-1][0] == live_at.replace(microsecond=0)

    # Deleting the newest release, or taking one back to draft, never moves it back.
    delete_episode(db.session, storage, db.session.get(Episode, soon.id))
    seen.append(dates(client))
    edit(newest, start + timedelta(hours=7), status="draft")
    seen.append(dates(client))
    edit(older, start + timedelta(hours=8), title="Older, renamed")
    seen.append(dates(client))
    moments = [built for built, _ in seen]
    assert moments == sorted(moments), moments
    assert moments[2] > moments[1]  # the delete itself is a change of content
