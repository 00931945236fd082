"""Jinja filters and globals, registered once for every page: durations, dates in the show's
time zone, Markdown (sanitized, remembered by content), URLs and the current show."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from markupsafe import Markup

from podcast import current, i18n
from podcast.services.markup import plain_text, render_markdown
from podcast.services.previews import PREVIEW_DAYS, preview_expires
from podcast.services.shows import DIRECTORIES
from podcast.views.urls import (
    absolute,
    episode_file_path,
    episode_path,
    episode_url,
    feed_path,
    feed_url,
    file_url,
    home_path,
    home_url,
    media_path,
    media_url,
    page_url,
    preview_url,
)


def format_duration(seconds: float | None) -> str:
    """Seconds as H:MM:SS or M:SS, cut to the whole second as the player shows it."""
    if seconds is None:
        return ""
    total = math.floor(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def chapter_lines(chapters: list[dict[str, Any]] | None) -> str:
    """Chapters as the form's text: one a line, the start as M:SS (with any fraction), the title,
    any link."""
    lines = []
    for chapter in chapters or []:
        start = float(chapter["start"])
        whole = int(start)
        clock = format_duration(whole) if whole else "0:00"
        fraction = f"{start - whole:.3f}".rstrip("0").rstrip(".")[1:]
        link = f" {chapter['url']}" if chapter.get("url") else ""
        lines.append(f"{clock}{fraction} {chapter.get('title', '')}{link}")
    return "\n".join(lines)


def local_time(moment: datetime | None, timezone: str = "UTC") -> datetime | None:
    """The UTC moment in the show's time zone."""
    if moment is None:
        return None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    try:
        return moment.astimezone(zone)
    except OverflowError:
        # Stored before dates were limited to 1900-2200: year 1 or 9999 moved past what a
        # datetime holds. Show it as stored (UTC) rather than fail the page.
        return moment.astimezone(UTC)


def format_date(moment: datetime | None, timezone: str = "UTC") -> str:
    """A date like '24 November 2026' (or '24 ноября 2026 г.') in the show's time zone."""
    local = local_time(moment, timezone)
    return i18n.format_day(local) if local else ""


def format_bytes(size: int | None) -> str:
    """A byte count for people in the page's language: '1.4 MB', '1,4 МБ'."""
    return "" if size is None else i18n.format_size(size)


@lru_cache(maxsize=512)
def cached_markdown(text: str | None) -> Markup:
    """Sanitized HTML for Markdown, remembered by content (the same notes render every visit)."""
    return render_markdown(text)


@lru_cache(maxsize=4096)
def cached_plain(text: str | None, limit: int | None = None) -> str:
    """A plain-text excerpt, remembered by content (the list shows the same ones all day)."""
    return plain_text(text, limit)


def iso_duration(seconds: float | None) -> str | None:
    """Seconds as an ISO 8601 duration (PT1H2M3S), as schema.org wants."""
    if seconds is None:
        return None
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S"


def clock(seconds: float) -> str:
    """A position in the audio as M:SS or H:MM:SS, never later than the moment itself."""
    return format_duration(math.floor(seconds))


def media_time(seconds: float) -> str:
    """Seconds as a media fragment time (#t=90, #t=90.5)."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


def register(app: Flask) -> None:
    """Install every filter and global the templates use, admin and public alike."""
    app.jinja_env.filters.update(
        duration=format_duration,
        date=format_date,
        local_time=local_time,
        markdown=cached_markdown,
        plain=cached_plain,
        filesize=format_bytes,
        iso_duration=iso_duration,
        media_time=media_time,
        clock=clock,
    )
    # Functions, not values: nothing is computed unless a template calls them.
    app.jinja_env.globals.update(
        media_url=media_url,
        media_path=media_path,
        file_url=file_url,
        episode_path=episode_path,
        episode_link=episode_url,
        episode_file_path=episode_file_path,
        home_path=home_path,
        home_link=home_url,
        page_url=page_url,
        preview_link=preview_url,
        preview_expires=preview_expires,
        preview_days=PREVIEW_DAYS,
        feed_path=feed_path,
        feed_link=feed_url,
        canonical_url=absolute,
        current_show=current.show,
        directory_labels=DIRECTORIES,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
