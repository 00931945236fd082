"""A show's feed address from its handle alone (a show being created has no row yet)."""

from __future__ import annotations

from podcast import current
from podcast.views.urls import absolute, feed_url


def show_feed_url(handle: str) -> str:
    """The feed of the show with this handle: /feed.xml for the primary show (and for the very
    first show, which becomes it), else /shows/<handle>/feed.xml."""
    primary = current.show()
    if primary is None or primary.handle == handle:
        return feed_url()
    return absolute("feed.show_feed", handle=handle)
