"""Chapter times and podcast:chapters JSON files (version 1.2)."""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

from podcast.imports.errors import FeedError
from podcast.imports.source import SourceChapter
from podcast.wording import say


def npt_seconds(text: str) -> float | None:
    """Seconds of a Normal Play Time ("01:02:03.5", "62:03", "3723.5"); None when not one."""
    match = re.fullmatch(r"\s*(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d+)?)\s*", text or "")
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


def parse_chapters_json(body: bytes, base_url: str = "") -> list[SourceChapter]:
    """The chapters of a podcast:chapters JSON file (version 1.2), in order of their start."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise FeedError(say("The chapters file is not valid JSON.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("chapters"), list):
        raise FeedError(say("The chapters file has no list of chapters."))
    chapters = []
    for one in data["chapters"]:
        if not isinstance(one, dict) or one.get("toc") is False:
            continue  # toc: false marks a silent chapter, not one of the table of contents
        start = one.get("startTime")
        if isinstance(start, bool) or not isinstance(start, int | float) or start < 0:
            continue
        chapters.append(
            SourceChapter(
                start=float(start),
                title=str(one.get("title") or "").strip(),
                url=_resolve(base_url, str(one.get("url") or "")),
                img=_resolve(base_url, str(one.get("img") or "")),
            )
        )
    return sorted(chapters, key=lambda chapter: chapter.start)


def _resolve(base: str, value: str) -> str:
    value = value.strip()
    return urljoin(base, value) if value else ""
