"""The feed declares the WebSub hub when PODCAST_WEBSUB_HUB is set, and is unchanged when not."""

from __future__ import annotations

from dataclasses import replace

import feedparser
from test_feed import NS, fetch, parse_xml

from podcast import current

HUB = "https://hub.example.net/websub"


def test_hub_is_declared_beside_self_and_nothing_else_changes(app, client, make_episode):
    make_episode()
    without = fetch(client)
    settings = app.extensions[current.SETTINGS_KEY]
    app.extensions[current.SETTINGS_KEY] = replace(settings, WEBSUB_HUB=HUB)
    current.feed_cache(app).clear()
    with_hub = fetch(client)

    channel = parse_xml(with_hub).find("channel")
    links = channel.findall("atom:link", NS)
    assert [(link.get("rel"), link.get("href")) for link in links] == [
        ("self", "https://podcast.example.org/feed.xml"),
        ("hub", HUB),
    ]
    parsed = feedparser.parse(with_hub)
    assert {"rel": "hub", "href": HUB} in [
        {"rel": link.get("rel"), "href": link.get("href")} for link in parsed.feed.links
    ]
    line = f'<atom:link href="{HUB}" rel="hub"/>'.encode()
    assert with_hub.count(line) == 1
    # Unset, the feed is byte for byte what it was: the hub line is the only difference.
    assert with_hub.replace(line + b"\n    ", b"") == without
    assert b'rel="hub"' not in without
