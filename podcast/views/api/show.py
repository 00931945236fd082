"""API routes for the show's settings (and its artwork)."""

from __future__ import annotations

from flask import Response, g, jsonify

from podcast import current
from podcast.errors import NotFoundError
from podcast.extensions import db
from podcast.models import Show
from podcast.services import shows
from podcast.views.api.base import bp
from podcast.views.api.serializers import show_json
from podcast.views.api.validation import read_body


def _show_or_404() -> Show:
    show = current.show()
    if show is None:
        raise NotFoundError("There is no show yet; set it up (podcast load-episodes) first.")
    return show


@bp.get("/show")
def get_show_settings() -> Response:
    """The show's settings."""
    return jsonify(show_json(_show_or_404()))


@bp.patch("/show")
def update_show_settings() -> Response:
    """Change the given settings; a multipart `artwork` replaces the artwork."""
    show = _show_or_404()
    body = read_body("ShowPatch", "ShowPatchForm")
    data = shows.parse_show_input(body.fields)
    shows.save_show(
        db.session, current.storage(), show, data, artwork=body.upload("artwork"),
        actor=shows.Actor.of(g.api_user, "api"),
    )  # fmt: skip
    return jsonify(show_json(show))
