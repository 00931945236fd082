"""Canonical absolute URLs for pages, media and the feed, built on PODCAST_SITE_URL."""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any
from urllib.parse import quote

from flask import current_app, has_request_context, url_for

from podcast import current
from podcast.models import Episode, Guest, MediaAsset

_URL_SAFE = re.compile(r"[A-Za-z0-9._~/-]*\Z").match


def absolute(endpoint: str, **values: Any) -> str:
    """The canonical URL of an endpoint: PODCAST_SITE_URL plus its path (in a request or not)."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:  # a job in the worker or a command: no request to take a URL adapter from
        path = current_app.url_map.bind("").build(endpoint, values)
    return current_app.config["PODCAST_SITE_URL"] + path


def media_url(asset: MediaAsset | str | None) -> str | None:
    """The public URL of a stored object: the CDN/bucket when configured, else /media/<key>."""
    if asset is None:
        return None
    key = asset if isinstance(asset, str) else asset.key
    public = current.storage().public_url(key)
    return public or absolute("media.serve", key=key)


def episode_url(episode: Episode) -> str:
    """The episode's public page."""
    return absolute("public.episode", slug=episode.slug)


def guest_url(guest: Guest) -> str:
    """The guest's public page."""
    return absolute("public.guest", slug=guest.slug)


def feed_url() -> str:
    """The feed's canonical URL."""
    return absolute("feed.feed")


def file_url(endpoint: str, slug: str, filename: str) -> str:
    """The URL of an episode's companion file, whether or not its endpoint is registered."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint, slug=slug)
    return url_for("public.episode", slug=slug) + "/" + filename


class FeedUrls:
    """The feed's URLs (feed.build.FeedLinks) for one render: each endpoint's pattern is built
    once, then filled per item, instead of a url_for per link."""

    _MARK = "FEEDMARK"

    def __init__(self) -> None:
        self._storage = current.storage()
        self.feed = feed_url()
        self.site = absolute("public.index")
        self.hub = current.settings().WEBSUB_HUB
        self._episode = self._pattern("public.episode", "slug")
        self._guest = self._pattern("public.guest", "slug")
        self._media = self._pattern("media.serve", "key")
        self._chapters = self._pattern("episode_files.chapters", "slug")
        self._transcript = self._pattern("episode_files.transcript", "slug")
        # Everything the URLs depend on: fragments rendered under another one are not reused.
        self.signature: Hashable = (
            self.feed, self.site, self._episode, self._guest, self._media, self._chapters,
            self._transcript, self._storage.public_url("k"),
        )  # fmt: skip

    def _pattern(self, endpoint: str, name: str) -> tuple[str, str]:
        prefix, _, suffix = absolute(endpoint, **{name: self._MARK}).partition(self._MARK)
        return prefix, suffix

    @staticmethod
    def _fill(pattern: tuple[str, str], value: str) -> str:
        # Slugs and storage keys are URL-safe by construction; quote anything else.
        safe = value if _URL_SAFE(value) else quote(value, safe="/")
        return pattern[0] + safe + pattern[1]

    def episode(self, slug: str) -> str:
        """The episode's page."""
        return self._fill(self._episode, slug)

    def guest(self, slug: str) -> str:
        """The guest's page."""
        return self._fill(self._guest, slug)

    def media(self, key: str | None) -> str | None:
        """A stored object's public URL (the CDN/bucket when configured, as media_url)."""
        if key is None:
            return None
        return self._storage.public_url(key) or self._fill(self._media, key)

    def chapters(self, slug: str) -> str:
        """The episode's JSON chapters."""
        return self._fill(self._chapters, slug)

    def transcript(self, slug: str) -> str:
        """The episode's WebVTT transcript."""
        return self._fill(self._transcript, slug)
