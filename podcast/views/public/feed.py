"""The RSS feed podcast apps subscribe to: cached bytes, ETag/Last-Modified, 304, gzip, HEAD."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue

from podcast import current
from podcast.extensions import db
from podcast.feed import cache
from podcast.models import Show, utcnow
from podcast.services import queries
from podcast.views.public.cors import open_to_browsers
from podcast.views.urls import FeedUrls

bp = open_to_browsers(Blueprint("feed", __name__))

MAX_AGE = 300
FEED_CONTENT_TYPE = "application/rss+xml; charset=utf-8"


def current_feed(
    now: datetime | None = None, handle: str | None = None, page: int = 1
) -> tuple[cache.RenderedFeed | None, cache.FeedState] | None:
    """A show's feed (None: the primary show's), or a page of its paged feed, valid at `now`
    (default: this moment), rendered with this site's URLs."""
    handle = handle or current.settings().PRIMARY_SHOW
    return cache.current_feed(
        current.feed_cache(), db.session, lambda: FeedUrls(_show_for_links(handle)),
        now or utcnow(), handle, page,
    )  # fmt: skip


def _show_for_links(handle: str) -> Show | None:
    # Asked only when the feed is rendered, never on a cached poll.
    return queries.show_by_handle(db.session, handle) if handle else None


@bp.route("/feed.xml")
def feed() -> ResponseReturnValue:
    """The primary show's RSS feed, at the URL it has always had."""
    return _answer(None)


@bp.route("/shows/<handle>/feed.xml")
def show_feed(handle: str) -> ResponseReturnValue:
    """A show's RSS feed; the primary show's lives at /feed.xml, where this redirects."""
    return _answer(handle)


def _page() -> int:
    """The ?page= of a paged feed's older page (RFC 5005); 1, the feed itself, when absent."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < 1:
        abort(400, description="page must be a whole number from 2 up.")
    return int(raw)


def _answer(handle: str | None) -> ResponseReturnValue:
    """The feed (GET and HEAD), answered 304 when the client's copy is current."""
    now = utcnow()
    primary = current.settings().PRIMARY_SHOW
    page = _page()
    if handle is not None and handle == primary:
        return redirect(_feed_url(None, page), 301)
    if page == 1 and "page" in request.args:
        return redirect(_feed_url(handle, 1), 301)  # page 1 is the feed's own address
    found = current_feed(now, handle, page)
    if found is None:
        abort(404)
    rendered, state = found
    if handle is not None and not primary and state.show_id == state.first_show_id:
        return redirect(_feed_url(None, page), 301)  # one feed URL per show, never two
    if rendered is None:
        abort(404)
    use_gzip = request.accept_encodings.quality("gzip") > 0
    max_age = MAX_AGE
    if state.next_due is not None:
        # Whatever caches the feed must come back when the next scheduled episode is due.
        max_age = max(0, min(MAX_AGE, math.ceil((state.next_due - now).total_seconds())))
    headers = {
        "ETag": rendered.gzip_etag if use_gzip else rendered.etag,
        "Last-Modified": rendered.last_modified_http,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if _not_modified(rendered.etag, rendered.gzip_etag, rendered.last_modified):
        return Response(status=304, headers=headers)
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    body = rendered.gzipped if use_gzip else rendered.body
    return Response(body, headers=headers, content_type=FEED_CONTENT_TYPE)


def _not_modified(etag: str, gzip_etag: str, last_modified: datetime) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
    if "If-None-Match" in request.headers:
        tags = request.if_none_match
        return tags.star_tag or any(tags.contains_weak(t.strip('"')) for t in (etag, gzip_etag))
    since = request.if_modified_since
    return since is not None and last_modified <= since


def _feed_url(handle: str | None, page: int) -> str:
    """The feed's own address (None: the primary show's /feed.xml), on page `page`."""
    at: dict[str, Any] = {"page": page} if page > 1 else {}
    if handle is None:
        return url_for("feed.feed", **at)
    return url_for("feed.show_feed", handle=handle, **at)
