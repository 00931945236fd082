"""API routes for the shows' settings (and artwork): the primary show at /show, every show the
caller may act on at /shows and /shows/<handle>; admins create shows."""

from __future__ import annotations

from flask import Response, g, jsonify, url_for

from podcast import current
from podcast.errors import ForbiddenError
from podcast.extensions import db
from podcast.models import Show
from podcast.services import queries, shows
from podcast.services.tagging import queue_show_tags, show_tag_fields
from podcast.views.api.base import bp, created, my_show_ids, primary_show, show_by_handle
from podcast.views.api.serializers import show_json
from podcast.views.api.validation import read_body
from podcast.views.urls import show_feed_url


@bp.get("/show")
def get_show_settings() -> Response:
    """The primary show's settings."""
    return jsonify(show_json(primary_show()))


@bp.patch("/show")
def update_show_settings() -> Response:
    """Change the given settings of the primary show; a multipart `artwork` replaces the
    artwork."""
    return _update(primary_show())


@bp.get("/shows")
def list_shows() -> Response:
    """The shows the caller may act on (every show for an admin), oldest first."""
    rows = db.session.scalars(queries.shows_of(my_show_ids()))
    return jsonify({"items": [show_json(show) for show in rows], "next": None})


@bp.post("/shows")
def create_show() -> Response:
    """Create a show (admins); its handle is checked (free, not reserved, never used)."""
    if not g.api_user.is_admin:
        raise ForbiddenError("Only admins create shows.")
    body = read_body("ShowCreate", "ShowCreateForm")
    show = shows.save_show(
        db.session, current.storage(), None, shows.parse_show_input(body.fields),
        artwork=body.upload("artwork"), actor=shows.Actor.of(g.api_user, "api"),
        feed_url_of=show_feed_url,
    )  # fmt: skip
    return created(show_json(show), url_for("api.get_show", handle=show.handle, _external=True))


@bp.get("/shows/<handle>")
def get_show(handle: str) -> Response:
    """One show's settings."""
    return jsonify(show_json(show_by_handle(handle)))


@bp.patch("/shows/<handle>")
def update_show(handle: str) -> Response:
    """Change the given settings of one show, as PATCH /show does for the primary one."""
    return _update(show_by_handle(handle))


def _update(show: Show) -> Response:
    body = read_body("ShowPatch", "ShowPatchForm")
    data = shows.parse_show_input(body.fields)
    tagged = show_tag_fields(show)
    shows.save_show(
        db.session, current.storage(), show, data, artwork=body.upload("artwork"),
        actor=shows.Actor.of(g.api_user, "api"),
    )  # fmt: skip
    queue_show_tags(db.session, show, tagged)
    return jsonify(show_json(show))
