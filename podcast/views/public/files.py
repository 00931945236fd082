"""Files the feed links per episode: JSON chapters and the WebVTT transcript (CORS open)."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, abort, request

from podcast.feed.build import CHAPTERS_MIME, json_chapters
from podcast.models import Show
from podcast.services import queries
from podcast.views.public import presenters
from podcast.views.public.cors import open_to_browsers
from podcast.views.public.lookup import primary_or_404, show_or_404

bp = open_to_browsers(Blueprint("episode_files", __name__))

CACHE_CONTROL = "public, max-age=300"


def _conditional(response: Response) -> Response:
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.make_conditional(request)  # in place: it returns the response itself
    return response


@bp.route("/episodes/<slug>/chapters.json")
def chapters(slug: str) -> Response:
    """The primary show's episode's chapters (the URL its feed has always carried)."""
    return _chapters(primary_or_404(), slug)


@bp.route("/shows/<handle>/episodes/<slug>/chapters.json")
def show_chapters(handle: str, slug: str) -> Response:
    """A show's episode's chapters in the JSON chapters 1.2 format."""
    return _chapters(show_or_404(handle), slug)


@bp.route("/episodes/<slug>/transcript.vtt")
def transcript(slug: str) -> Response:
    """The primary show's episode's transcript (the URL its feed has always carried)."""
    return _transcript(primary_or_404(), slug)


@bp.route("/shows/<handle>/episodes/<slug>/transcript.vtt")
def show_transcript(handle: str, slug: str) -> Response:
    """A show's episode's transcript as WebVTT."""
    return _transcript(show_or_404(handle), slug)


def _chapters(show: Show, slug: str) -> Response:
    episode = queries.public_episode(slug, show.id)
    if episode is None or not episode.effective_chapters:
        abort(404)
    body = json.dumps(json_chapters(episode, show), ensure_ascii=False).encode()
    response = Response(body, mimetype=CHAPTERS_MIME)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return _conditional(response)


def _transcript(show: Show, slug: str) -> Response:
    # Its cue text is escaped whenever it was stored.
    episode = queries.public_episode(slug, show.id)
    body = presenters.transcript_vtt(episode.transcript) if episode is not None else None
    if body is None:
        abort(404)
    response = Response(body, mimetype="text/vtt")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return _conditional(response)
