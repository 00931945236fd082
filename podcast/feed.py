"""The RSS feed (minimal until the feed issue rebuilds it)."""

from __future__ import annotations

from collections.abc import Sequence

from feedgen.feed import FeedGenerator

from podcast.markup import xml_safe
from podcast.models import Episode, Show
from podcast.urls import episode_url, feed_url, media_url


def render_feed(show: Show | None, episodes: Sequence[Episode]) -> bytes:
    """The feed's bytes for the show and its public episodes (newest first)."""
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.title(xml_safe(show.title if show else "Podcast"))
    fg.description(xml_safe(show.description if show and show.description else "A podcast"))
    fg.link(href=feed_url(), rel="self", type="application/rss+xml")
    fg.link(href=show.website if show and show.website else feed_url(), rel="alternate")
    fg.language(show.language if show else "en")
    for episode in episodes:
        entry = fg.add_entry(order="append")
        entry.title(xml_safe(episode.title))
        entry.guid(episode.guid, permalink=False)
        entry.link(href=episode_url(episode))
        entry.pubDate(episode.publish_at)
        entry.enclosure(
            media_url(episode.audio), str(episode.audio.size_bytes), episode.audio.mime_type
        )
    return fg.rss_str(pretty=True)
