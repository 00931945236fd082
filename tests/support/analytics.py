"""Helpers for the download-count tests: the analytics switch, the recorder, what it stored."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from flask import Flask

from podcast import current
from podcast.analytics import record

SITE = "https://podcast.example.org"


def set_analytics(app: Flask, on: bool) -> None:
    """Turn PODCAST_ANALYTICS on or off for this app (as if it had started so)."""
    settings = app.extensions[current.SETTINGS_KEY]
    app.extensions[current.SETTINGS_KEY] = dataclasses.replace(settings, ANALYTICS=on)
    app.config["PODCAST_ANALYTICS"] = on


def enclosure_url(app: Flask, key: str) -> str:
    """The URL the feed's enclosure should name for a media key, by the app's setting."""
    on = app.extensions[current.SETTINGS_KEY].ANALYTICS
    return f"{SITE}/d/{key}" if on else f"{SITE}/media/{key}"


def freeze(app: Flask, when: datetime) -> None:
    """Requests from now on are recorded as made at `when`."""
    record.recorder(app).clock = lambda: when
