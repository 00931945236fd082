"""The RSS feed podcast apps subscribe to."""

from __future__ import annotations

from flask import Blueprint, Response

from podcast import queries
from podcast.extensions import db

bp = Blueprint("feed", __name__)


@bp.route("/feed.xml")
def feed() -> Response:
    """The RSS feed."""
    from podcast.feed import render_feed

    body = render_feed(queries.get_show(), db.session.scalars(queries.public_episodes()).all())
    return Response(body, mimetype="application/rss+xml")
