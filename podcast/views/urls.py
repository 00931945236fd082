"""Canonical absolute URLs for pages, media and the feed, built on PODCAST_SITE_URL."""

from __future__ import annotations

from flask import current_app, url_for

from podcast import current
from podcast.models import Episode, Guest, MediaAsset


def absolute(endpoint: str, **values: object) -> str:
    """The canonical URL of an endpoint: PODCAST_SITE_URL plus its path."""
    return current_app.config["PODCAST_SITE_URL"] + url_for(endpoint, **values)


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
