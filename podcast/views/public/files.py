"""Files the feed links per episode: JSON chapters and the WebVTT transcript (CORS open)."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, abort, request

from podcast import current
from podcast.feed.build import CHAPTERS_MIME, json_chapters
from podcast.services import queries
from podcast.views.public import presenters
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
    show = current.show()
    episode = queries.public_episode(slug, show.id) if show is not None else None
    if episode is None or not episode.effective_chapters:
        abort(404)
    body = json.dumps(json_chapters(episode, show), ensure_ascii=False).encode()
    response = Response(body, mimetype=CHAPTERS_MIME)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return _conditional(response)


@bp.route("/episodes/<slug>/transcript.vtt")
def transcript(slug: str) -> Response:
    """The episode's transcript as WebVTT, its cue text escaped whenever it was stored."""
    show = current.show()
    episode = queries.public_episode(slug, show.id) if show is not None else None
    body = presenters.transcript_vtt(episode.transcript) if episode is not None else None
    if body is None:
        abort(404)
    response = Response(body, mimetype="text/vtt")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return _conditional(response)
