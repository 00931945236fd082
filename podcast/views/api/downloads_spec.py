"""The OpenAPI paths and schema of the download counts (merged into the document by openapi)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from podcast.analytics.reports import DEFAULT_DAYS, MAX_DAYS
from podcast.views.api.schemas import ID

_DAY = {
    "type": "string",
    "format": "date",
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "description": "A UTC day, YYYY-MM-DD.",
}
_COUNT = {"type": "integer", "minimum": 0}
_SPAN = [
    {
        "name": "from",
        "in": "query",
        "description": f"The first UTC day (default: {DEFAULT_DAYS} days up to `to`).",
        "schema": _DAY,
    },
    {
        "name": "to",
        "in": "query",
        "description": f"The last UTC day (default: today); at most {MAX_DAYS} days in all.",
        "schema": _DAY,
    },
]
_HANDLE = {
    "name": "handle",
    "in": "path",
    "required": True,
    "description": "The show's handle; a show you are not a member of is a 404.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 80},
}


def _row(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {key: schema, "downloads": _COUNT},
        "required": [key, "downloads"],
    }


SCHEMAS: dict[str, Any] = {
    "Downloads": {
        "type": "object",
        "description": (
            "Downloads counted by the IAB Podcast Measurement Guidelines v2.3, from the daily "
            "rollups: every day of the span (zero-filled), apps and countries most first."
        ),
        "properties": {
            "total": _COUNT,
            "by_day": {"type": "array", "items": _row("date", _DAY)},
            "by_app": {
                "type": "array",
                "items": _row("name", {"type": "string", "description": "The app's name."}),
            },
            "by_country": {
                "type": "array",
                "items": _row(
                    "code",
                    {
                        "type": "string",
                        "pattern": "^([A-Z]{2})?$",
                        "description": "ISO 3166-1 alpha-2; empty when the country is unknown.",
                    },
                ),
            },
        },
        "required": ["total", "by_day", "by_app", "by_country"],
    }
}


def paths(operation: Callable[..., dict[str, Any]], ok: Callable[..., dict[str, Any]]) -> dict:
    """The two downloads paths, built with the document's own operation helpers."""
    answer = ok("200", "Downloads", "The downloads in the span.")
    episode_id = {"name": "episode_id", "in": "path", "required": True, "schema": ID}
    return {
        "/episodes/{episode_id}/downloads": {
            "get": operation(
                "getEpisodeDownloads", "One episode's downloads by day, app and country.",
                answer, "401 404 422", parameters=[episode_id, *_SPAN], tag="downloads",
            )
        },
        "/shows/{handle}/downloads": {
            "get": operation(
                "getShowDownloads", "A show's downloads by day, app and country.",
                answer, "401 404 422", parameters=[_HANDLE, *_SPAN], tag="downloads",
            )
        },
    }  # fmt: skip
