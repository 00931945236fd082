"""No single episode's data takes the feed (or its page) down: what is valid is rendered, the
rest is logged."""

from __future__ import annotations

import json
import logging

import pytest
from lxml import etree
from sqlalchemy import update

from podcast.extensions import db
from podcast.models import Episode, MediaAsset

# Rows as older data, imports or a hand edit may have left them (the services refuse these now).
BAD_CHAPTERS = [
    pytest.param([{"start": 1e308, "title": "Far"}], id="1e308"),
    pytest.param([{"start": -5, "title": "Before"}], id="negative"),
    pytest.param([{"start": "soon", "title": "Text"}], id="text"),
    pytest.param([{"title": "No start"}, 3, None], id="shapeless"),
    pytest.param([{"start": 0, "title": "Intro"}, {"start": 99, "title": "Past"}], id="end"),
]


def items(client) -> dict[str, etree._Element]:
    """The feed's items by guid (asserting a 200 and well-formed XML)."""
    response = client.get("/feed.xml")
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    return {item.findtext("guid"): item for item in root.iter("item")}


@pytest.mark.parametrize("stored", BAD_CHAPTERS)
def test_unreadable_chapters_are_left_out_not_the_feed(client, make_episode, stored):
    good, bad = make_episode("Good"), make_episode("Bad chapters")
    db.session.execute(update(Episode).where(Episode.id == bad.id).values(chapters=stored))
    db.session.commit()
    found = items(client)
    assert {good.guid, bad.guid} <= set(found)
    for chapter in found[bad.guid].iter("{http://podlove.org/simple-chapters}chapter"):
        assert chapter.get("title") == "Intro"  # only the playable one
    # the page lists the rest
    assert client.get(f"/shows/majlis/episodes/{bad.slug}").status_code == 200
    response = client.get(f"/episodes/{bad.slug}/chapters.json")
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        json.loads(response.data, parse_constant=pytest.fail)  # strict JSON: no Infinity


def test_an_item_that_cannot_be_rendered_is_logged_and_the_rest_is_served(
    client, make_episode, caplog
):
    good, bad = make_episode("Good"), make_episode("Unrenderable")
    # A duration no feed can state (PostgreSQL and SQLite both store infinity in a float).
    db.session.execute(
        update(MediaAsset).where(MediaAsset.id == bad.audio_id).values(duration_seconds=1e309)
    )
    db.session.commit()
    with caplog.at_level(logging.ERROR, logger="podcast.feed.build"):
        found = items(client)
    assert good.guid in found
    assert bad.guid not in found
    assert bad.guid in caplog.text
