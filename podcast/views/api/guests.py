"""API routes for guests: list, create, get, patch (with a photo), delete."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for

from podcast import current
from podcast.errors import NotFoundError
from podcast.extensions import db
from podcast.models import Guest
from podcast.services import guests, queries
from podcast.views.api.answers import CreateAnswer
from podcast.views.api.base import (
    ID_RULE,
    bp,
    known_id,
    no_content,
    page_arguments,
    page_response,
)
from podcast.views.api.serializers import guest_json
from podcast.views.api.validation import Body, read_body


def _fields(body: Body) -> dict[str, Any]:
    """The checked fields; null links mean none."""
    fields = dict(body.fields)
    if "links" in fields and fields["links"] is None:
        fields["links"] = []
    return fields


def _guest_or_404(guest_id: int) -> Guest:
    guest = db.session.get(Guest, guest_id) if known_id(guest_id) else None
    if guest is None:
        raise NotFoundError(f"There is no guest {guest_id}.")
    return guest


@bp.get("/guests")
def list_guests() -> Response:
    """Guests, oldest first; ?limit= and ?cursor= page."""
    limit, cursor = page_arguments()
    rows = queries.api_guests_page(db.session, limit, cursor)
    return page_response(rows, limit, guest_json, "api.list_guests")


@bp.post("/guests")
def create_guest() -> Response:
    """Create a guest with a unique slug; an Idempotency-Key makes a retry safe."""
    body = read_body("GuestCreate")
    answer = CreateAnswer("createGuest", body, _created_guest)
    replayed = answer.replay()
    if replayed is not None:
        return replayed
    data = guests.parse_guest_input(_fields(body))
    guests.save_guest(db.session, current.storage(), None, data, before_commit=answer.seal)
    return answer.response()


def _created_guest(guest: Guest) -> tuple[dict[str, Any], str]:
    return guest_json(guest), url_for("api.get_guest", guest_id=guest.id, _external=True)


@bp.get(f"/guests/<{ID_RULE}:guest_id>")
def get_guest(guest_id: int) -> Response:
    """One guest."""
    return jsonify(guest_json(_guest_or_404(guest_id)))


@bp.patch(f"/guests/<{ID_RULE}:guest_id>")
def update_guest(guest_id: int) -> Response:
    """Change the given fields; a multipart `photo` replaces the photo, JSON null removes it."""
    guest = _guest_or_404(guest_id)
    body = read_body("GuestPatch", "GuestPatchForm")
    guests.save_guest(
        db.session,
        current.storage(),
        guest,
        guests.parse_guest_input(_fields(body), current=guest),
        photo=body.upload("photo"),
        remove_photo=body.is_json and "photo" in body.fields,
    )
    return jsonify(guest_json(guest))


@bp.delete(f"/guests/<{ID_RULE}:guest_id>")
def delete_guest(guest_id: int) -> Response:
    """Delete a guest who is on no episode (409 otherwise)."""
    guests.delete_guest(db.session, _guest_or_404(guest_id))
    return no_content()
