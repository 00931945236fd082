"""Canonical absolute URLs for pages, media and the feed, built on PODCAST_SITE_URL."""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any
from urllib.parse import quote

from flask import current_app, g, has_request_context, url_for

from podcast import current, i18n
from podcast.extensions import db
from podcast.feed.build import FeedWords
from podcast.models import Episode, Guest, MediaAsset, Show
from podcast.services import queries
from podcast.services.previews import preview_token

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


def media_path(asset: MediaAsset | str | None) -> str | None:
    """A stored object's URL for the site's own pages: the CDN/bucket when configured, else
    the root-relative /media/<key>, so a page opened under any host name loads it."""
    if asset is None:
        return None
    key = asset if isinstance(asset, str) else asset.key
    return current.storage().public_url(key) or url_for("media.serve", key=key)


def is_primary(show: Show) -> bool:
    """True for the primary show, whose one-show URLs (/feed.xml, /episodes/<slug>) stay."""
    primary = current.show()
    return primary is not None and primary.id == show.id


def preview_url(episode: Episode) -> str:
    """The episode's preview link (absolute: a producer sends it on), valid PREVIEW_DAYS."""
    token = preview_token(current_app.config["SECRET_KEY"], episode.id)
    return absolute("preview.episode", token=token)


def show_handles(refresh: bool = False) -> dict[int, str]:
    """Every show's handle by id, from one small query per request."""
    handles: dict[int, str] | None = g.get(current.HANDLES_KEY)
    if handles is None or refresh:
        handles = queries.show_handles(db.session)
        setattr(g, current.HANDLES_KEY, handles)
    return handles


def handle_of(show_id: int) -> str:
    """The handle of a show by id."""
    handles = show_handles()
    return handles[show_id] if show_id in handles else show_handles(refresh=True)[show_id]


def home_path(show: Show | None) -> str:
    """Where a show's pages link as its home: / while it is the only show, else its own."""
    if not show or (len(show_handles()) <= 1 and is_primary(show)):  # not: Jinja's Undefined
        return url_for("public.index")
    return show_path(show)


def home_url(show: Show | None) -> str:
    """home_path, absolute (canonical links, Open Graph, JSON-LD)."""
    return current_app.config["PODCAST_SITE_URL"] + home_path(show)


def page_url(
    show: Show | None, number: int | None, args: dict[str, str], absolute: bool = False
) -> str:
    """A page of a show's episode list (number None: the first), with its search words."""
    path = home_path(show)
    query = "&".join(
        f"{name}={quote(str(value), safe='')}"
        for name, value in {**args, "page": number}.items()
        if value is not None
    )
    url = f"{path}?{query}" if query else path
    return current_app.config["PODCAST_SITE_URL"] + url if absolute else url


def feed_path(show: Show | None) -> str:
    """The path of a show's feed (None: the primary show's)."""
    if not show or is_primary(show):
        return url_for("feed.feed")
    return url_for("feed.show_feed", handle=show.handle)


def episode_path(episode: Episode) -> str:
    """The path of the episode's page: /shows/<handle>/episodes/<slug>."""
    return url_for("public.show_episode", handle=handle_of(episode.show_id), slug=episode.slug)


def episode_url(episode: Episode) -> str:
    """The episode's public page, absolute."""
    return absolute("public.show_episode", handle=handle_of(episode.show_id), slug=episode.slug)


def episode_file_path(episode: Episode, kind: str) -> str:
    """The path of an episode's chapters.json or transcript.vtt under its show."""
    endpoint = (
        "episode_files.show_chapters" if kind == "chapters" else "episode_files.show_transcript"
    )
    return url_for(endpoint, handle=handle_of(episode.show_id), slug=episode.slug)


def show_path(show: Show) -> str:
    """The path of a show's home: /shows/<handle>/."""
    return url_for("public.show_home", handle=show.handle)


def show_url(show: Show) -> str:
    """A show's home, absolute."""
    return absolute("public.show_home", handle=show.handle)


def guest_url(guest: Guest) -> str:
    """The guest's public page."""
    return absolute("public.guest", slug=guest.slug)


def feed_url(show: Show | None = None) -> str:
    """A show's canonical feed URL (None: the primary show's): /feed.xml for the primary show,
    as it was before several shows existed, /shows/<handle>/feed.xml for the others."""
    if show is None or is_primary(show):
        return absolute("feed.feed")
    return absolute("feed.show_feed", handle=show.handle)


def show_feed_url(handle: str) -> str:
    """The feed of the show with this handle, from the handle alone (a show being created has
    no row yet): /feed.xml for the primary show (and for the very first show, which becomes
    it), else /shows/<handle>/feed.xml."""
    primary = current.show()
    if primary is None or primary.handle == handle:
        return feed_url()
    return absolute("feed.show_feed", handle=handle)


def file_url(endpoint: str, slug: str, filename: str) -> str:
    """The URL of an episode's companion file, whether or not its endpoint is registered."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint, slug=slug)
    return url_for("public.episode", slug=slug) + "/" + filename


class FeedUrls:
    """The feed's URLs (feed.build.FeedLinks) for one render: each endpoint's pattern is built
    once, then filled per item, instead of a url_for per link."""

    _MARK = "FEEDMARK"

    def __init__(self, show: Show | None = None) -> None:
        self._storage = current.storage()
        self.hub = current.settings().WEBSUB_HUB
        self._guest = self._pattern("public.guest", "slug")
        self._media = self._pattern("media.serve", "key")
        # PODCAST_ANALYTICS: enclosures go through the counting route, /d/<the same key>.
        self._download = (
            self._pattern("downloads.download", "key") if current.settings().ANALYTICS else None
        )
        if show is None or is_primary(show):
            # The primary show's feed keeps every URL it carried before several shows existed
            # (the old ones redirect or still answer): its bytes do not change.
            self.feed = absolute("feed.feed")
            self.site = absolute("public.index")
            self._episode = self._pattern("public.episode", "slug")
            self._chapters = self._pattern("episode_files.chapters", "slug")
            self._transcript = self._pattern("episode_files.transcript", "slug")
        else:
            at = {"handle": show.handle}
            self.feed = absolute("feed.show_feed", **at)
            self.site = absolute("public.show_home", **at)
            self._episode = self._pattern("public.show_episode", "slug", **at)
            self._chapters = self._pattern("episode_files.show_chapters", "slug", **at)
            self._transcript = self._pattern("episode_files.show_transcript", "slug", **at)
        # Everything the URLs depend on: fragments rendered under another one are not reused.
        self.signature: Hashable = (
            self.feed, self.site, self._episode, self._guest, self._media, self._chapters,
            self._transcript, self._storage.public_url("k"), self._download,
        )  # fmt: skip

    def _pattern(self, endpoint: str, name: str, **fixed: str) -> tuple[str, str]:
        prefix, _, suffix = absolute(endpoint, **fixed, **{name: self._MARK}).partition(self._MARK)
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

    def enclosure(self, key: str) -> str:
        """An item's audio: the counting route when analytics is on, else the media URL."""
        if self._download is not None:
            return self._fill(self._download, key)
        return self.media(key) or self._fill(self._media, key)

    def chapters(self, slug: str) -> str:
        """The episode's JSON chapters."""
        return self._fill(self._chapters, slug)

    def transcript(self, slug: str) -> str:
        """The episode's WebVTT transcript."""
        return self._fill(self._transcript, slug)

    @staticmethod
    def words(language: str) -> FeedWords:
        """The service's own words for a feed in this language, from the catalogs."""
        return i18n.feed_words(language)
