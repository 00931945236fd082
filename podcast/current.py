"""What the running app holds, declared once: its settings, storage, feed cache, login
throttle and the show.

Views and commands ask here; services never do (they are handed the session, storage and
limits as plain values). The show is read once per request and forgotten when the next begins.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from flask import Flask, current_app, g

from podcast.extensions import db
from podcast.services import queries
from podcast.services.throttle import LoginThrottle, build_throttle

if TYPE_CHECKING:
    from podcast.config import Settings
    from podcast.feed.cache import FeedCache
    from podcast.models import Show
    from podcast.services.accounts import Passwords
    from podcast.storage import Storage

SETTINGS_KEY = "podcast.settings"
STORAGE_KEY = "podcast.storage"
FEED_CACHE_KEY = "podcast.feed.cache"
THROTTLE_KEY = "podcast.throttle"
RESET_THROTTLE_KEY = "podcast.throttle.reset"
PASSWORDS_KEY = "podcast.passwords"
_SHOW_KEY = "_podcast_show"
HANDLES_KEY = "_podcast_show_handles"  # views.urls keeps every show's handle there


def settings() -> Settings:
    """The app's parsed PODCAST_* settings."""
    return current_app.extensions[SETTINGS_KEY]


def storage(app: Flask | None = None) -> Storage:
    """The app's storage backend (local disk or S3)."""
    return (app or current_app).extensions[STORAGE_KEY]


def feed_cache(app: Flask | None = None) -> FeedCache:
    """The app's rendered-feed cache (tests and the bench read its `renders`)."""
    return (app or current_app).extensions[FEED_CACHE_KEY]


def throttle() -> LoginThrottle:
    """The app's login throttle, built on first use (create_app does no I/O)."""
    extensions = current_app.extensions
    if THROTTLE_KEY not in extensions:
        extensions[THROTTLE_KEY] = build_throttle(current_app.config)
    return extensions[THROTTLE_KEY]


def reset_throttle() -> LoginThrottle:
    """The throttle of password-reset requests (per address asked for and per client)."""
    extensions = current_app.extensions
    if RESET_THROTTLE_KEY not in extensions:
        extensions[RESET_THROTTLE_KEY] = build_throttle(current_app.config, "reset")
    return extensions[RESET_THROTTLE_KEY]


def passwords(app: Flask | None = None) -> Passwords:
    """The app's password hashing, at the cost PODCAST_PASSWORD_HASHING names."""
    return (app or current_app).extensions[PASSWORDS_KEY]


def max_upload_bytes() -> int:
    """The largest upload accepted, in bytes."""
    return settings().max_upload_bytes


def replaced_media_grace() -> timedelta:
    """How long a replaced file stays served before `podcast check --fix` may delete it."""
    return settings().replaced_media_grace


def show() -> Show | None:
    """The primary show (PODCAST_PRIMARY_SHOW, else the first), read once per request; None
    before any show is set up."""
    if _SHOW_KEY not in g:
        setattr(g, _SHOW_KEY, queries.primary_show(db.session, settings().PRIMARY_SHOW))
    return g.get(_SHOW_KEY)


def forget_show() -> None:
    """Drop the remembered show and handles (a new request, or a show was just created)."""
    g.pop(_SHOW_KEY, None)
    g.pop(HANDLES_KEY, None)
