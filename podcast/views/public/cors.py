"""CORS for browser-based players: what apps fetch is readable from any origin, preflight included.

The feed, chapters, transcripts, artwork and media are public and carry no credentials, so
`Access-Control-Allow-Origin: *` (never with credentials) is safe; players need to read the
range and validator headers too.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

ALLOW_METHODS = "GET, HEAD, OPTIONS"
# What a player may send: ranges and conditional requests (plus whatever else it asks for).
ALLOW_HEADERS = "Range, If-Range, If-None-Match, If-Modified-Since, If-Match, Accept-Encoding"
EXPOSE_HEADERS = (
    "Content-Length, Content-Range, Accept-Ranges, Content-Encoding, ETag, Last-Modified"
)
PREFLIGHT_MAX_AGE = "86400"


def _open(response: Response) -> Response:
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    if request.method == "OPTIONS":
        asked = request.headers.get("Access-Control-Request-Headers", "").strip()
        headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        headers["Access-Control-Allow-Headers"] = asked or ALLOW_HEADERS
        headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def open_to_browsers(blueprint: Blueprint) -> Blueprint:
    """Answer every route of the blueprint (and its OPTIONS preflight) with open CORS headers."""
    blueprint.after_request(_open)
    return blueprint
