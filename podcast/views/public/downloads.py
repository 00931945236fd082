"""The counting route: every enclosure of every feed points here (PODCAST_ANALYTICS on).

/d/<key> mirrors /media/<key>: the same key, so the feed's URL changes only when the file
does, and a replaced file's old URL keeps working through its grace period. The request is
noted in memory (record.Recorder) and the file is served exactly as /media/ serves it, or,
when storage has a public URL (CDN, bucket), the listener is sent there with a 302.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, redirect, request
from flask.typing import ResponseReturnValue

from podcast import current
from podcast.analytics import record
from podcast.analytics.agents import AGENT_MAX
from podcast.storage import validate_key
from podcast.views.public import media
from podcast.views.public.cors import open_to_browsers

log = logging.getLogger(__name__)

bp = open_to_browsers(Blueprint("downloads", __name__))

# The redirect itself must not be cached: each request has to come back to be counted.
REDIRECT_CACHE = "private, no-cache"
_CONDITIONAL = ("If-None-Match", "If-Modified-Since")


def _note(key: str, start: int, count: int | None, ranged: str | None) -> None:
    """Buffer one GET for counting; never raises (the download matters more than its count)."""
    try:
        address = request.remote_addr or ""
        agent = (request.headers.get("User-Agent") or "")[:AGENT_MAX]
        recorder = record.recorder()
        seen = record.Seen(recorder.clock(), key, address, agent, start, count, ranged)
        recorder.add(seen)
    except Exception as exc:  # noqa: BLE001
        log.warning("analytics: a request was not noted (%s)", type(exc).__name__)


def _sent_hook(key: str) -> media.SentHook:
    """What to tell the recorder once the body has gone (outside the request by then)."""
    try:
        address = request.remote_addr or ""
        agent = (request.headers.get("User-Agent") or "")[:AGENT_MAX]
        recorder = record.recorder()
        at = recorder.clock()
    except Exception:  # noqa: BLE001
        return lambda start, count, size: None

    def sent(start: int, count: int, size: int) -> None:
        if count <= 0:
            return
        try:
            recorder.add(record.Seen(at, key, address, agent, start, count, size=size))
        except Exception as exc:  # noqa: BLE001
            log.warning("analytics: a download was not noted (%s)", type(exc).__name__)

    return sent


@bp.route("/d/<path:key>", methods=["GET", "HEAD"])
def download(key: str) -> ResponseReturnValue:
    """Note the GET for the download counts, then serve the file or redirect to its URL."""
    try:
        validate_key(key)
    except ValueError:
        abort(404)
    counting = current.settings().ANALYTICS and request.method == "GET"
    public = current.storage().public_url(key)
    if public is not None:
        # The CDN answers a conditional request with 304: no bytes, no download.
        if counting and not any(name in request.headers for name in _CONDITIONAL):
            _note(key, 0, None, (request.headers.get("Range") or "")[: record.RANGE_MAX] or None)
        response = redirect(public, 302)
        response.headers["Cache-Control"] = REDIRECT_CACHE
        return response
    return media.respond(key, _sent_hook(key) if counting else None)
