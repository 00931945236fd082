"""Jinja filters and globals: durations, dates in the show's time zone, Markdown."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

from podcast.services.markup import plain_text, render_markdown


def format_duration(seconds: float | None) -> str:
    """Seconds as H:MM:SS or M:SS."""
    if seconds is None:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def chapter_lines(chapters: list[dict[str, Any]] | None) -> str:
    """Chapters as the form's text: one a line, the start as M:SS (with any fraction), the title."""
    lines = []
    for chapter in chapters or []:
        start = float(chapter["start"])
        whole = int(start)
        clock = format_duration(whole) if whole else "0:00"
        fraction = f"{start - whole:.3f}".rstrip("0").rstrip(".")[1:]
        lines.append(f"{clock}{fraction} {chapter.get('title', '')}")
    return "\n".join(lines)


def local_time(moment: datetime | None, timezone: str = "UTC") -> datetime | None:
    """The UTC moment in the show's time zone."""
    if moment is None:
        return None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone)


def format_date(moment: datetime | None, timezone: str = "UTC") -> str:
    """A date like '24 November 2026' in the show's time zone."""
    local = local_time(moment, timezone)
    return f"{local.day} {local:%B %Y}" if local else ""


def format_bytes(size: int | None) -> str:
    """A byte count for people: '1.4 MB'."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"


def register(app: Flask) -> None:
    """Install the filters on the app's Jinja environment."""
    app.jinja_env.filters.update(
        duration=format_duration,
        date=format_date,
        local_time=local_time,
        markdown=render_markdown,
        plain=plain_text,
        filesize=format_bytes,
    )
    from podcast.views.urls import media_url

    app.jinja_env.globals.update(media_url=media_url)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
