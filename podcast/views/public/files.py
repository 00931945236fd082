"""Files the feed links per episode: JSON chapters and the WebVTT transcript (CORS open)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from flask import Blueprint, Response, abort, request

from podcast import current
from podcast.errors import NotFoundError
from podcast.feed.build import CHAPTERS_MIME, json_chapters
from podcast.services import queries
from podcast.views.public.cors import open_to_browsers

bp = open_to_browsers(Blueprint("episode_files", __name__))

CACHE_CONTROL = "public, max-age=300"


def _conditional(response: Response) -> Response:
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.make_conditional(request)  # in place: it returns the response itself
    return response


@bp.route("/episodes/<slug>/chapters.json")
def chapters(slug: str) -> Response:
    """The episode's chapters in the JSON chapters 1.2 format."""
    episode = queries.public_episode(slug)
    if episode is None or not episode.effective_chapters:
        abort(404)
    body = json.dumps(json_chapters(episode, current.show()), ensure_ascii=False).encode()
    response = Response(body, mimetype=CHAPTERS_MIME)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return _conditional(response)


@bp.route("/episodes/<slug>/transcript.vtt")
def transcript(slug: str) -> Response:
    """The episode's transcript, streamed from storage as stored (WebVTT)."""
    episode = queries.public_episode(slug)
    if episode is None or episode.transcript is None:
        abort(404)
    asset = episode.transcript
    body: Iterator[bytes] | bytes = b""
    if request.method != "HEAD" and not request.if_none_match.contains(asset.sha256):
        body = _stream(asset.key)
    response = Response(body, mimetype="text/vtt", direct_passthrough=True)
    response.content_length = asset.size_bytes
    response.set_etag(asset.sha256)
    return _conditional(response)


def _stream(key: str) -> Iterator[bytes]:
    """The object's chunks; a missing object is a 404 before any byte is sent."""
    try:
        chunks = iter(current.storage().open_range(key))
        first = next(chunks, b"")
    except NotFoundError:
        abort(404)

    def generate() -> Iterator[bytes]:
        yield first
        yield from chunks

    return generate()
