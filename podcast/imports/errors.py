"""The errors of reading a source: one root, so a caller catches every one with one clause."""

from __future__ import annotations

from podcast.errors import PodcastError


class FetchError(PodcastError):
    """A source document or file that could not be fetched; the message says why."""

    code = "fetch_failed"
    status = 422


class FeedError(FetchError):
    """Bytes that are not a podcast feed we can read (a page, JSON, an image, an XML bomb)."""

    code = "not_a_feed"
