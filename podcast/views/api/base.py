"""The JSON API under /api/v1: the blueprint, its bearer-token guard and response helpers."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, g, jsonify, request, url_for

from podcast import current
from podcast.errors import UnauthorizedError, ValidationError
from podcast.extensions import csrf, db
from podcast.models import Show, utcnow
from podcast.services import access, queries
from podcast.services.accounts import (
    LAST_USED_RESOLUTION,
    authenticate_token,
    record_token_use,
)
from podcast.views.api import openapi, schemas
from podcast.views.errors import error_json

ID_RULE = "int"
SHOW_IDS_KEY = "podcast.api_show_ids"

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def _require_token() -> Response | None:
    """Every route but the OpenAPI document needs a valid bearer token (cookies never count)."""
    if request.endpoint == "api.openapi_document":
        return None
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _unauthorized("Send an API token: Authorization: Bearer <token>.", token)
    try:
        g.api_user, row = authenticate_token(db.session, token)
        g.api_token_id, g.api_token_last_used = row.id, row.last_used_at
    except UnauthorizedError as exc:
        return _unauthorized(exc.message, token)
    return None


@bp.after_request
def _record_token_use(response: Response) -> Response:
    """The token's last use, written after the work (at most once a minute, never failing it)."""
    if "api_token_id" not in g:
        return response
    # Values read at authentication: the rows may be expired now, and the database gone.
    token_id, last_used = g.pop("api_token_id"), g.pop("api_token_last_used")
    if last_used is None or utcnow() - last_used >= LAST_USED_RESOLUTION:
        record_token_use(db.session, token_id)
    return response


def _unauthorized(message: str, token: str) -> Response:
    response = error_json(401, "unauthorized", message)
    challenge = 'Bearer realm="podcast"'
    if token:
        challenge += ', error="invalid_token"'
    response.headers["WWW-Authenticate"] = challenge
    return response


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document describing this API (public)."""
    return jsonify(openapi.document())


def my_show_ids() -> frozenset[int] | None:
    """The ids of the shows the token's user may act on (None: an admin, every show)."""
    # Kept for the request only (not on g, which can outlive it).
    if SHOW_IDS_KEY not in request.environ:
        request.environ[SHOW_IDS_KEY] = access.show_ids_of(db.session, g.api_user)
    return cast(frozenset[int] | None, request.environ[SHOW_IDS_KEY])


NO_SHOW = "There is no show yet; set it up (podcast load-episodes) first."


def primary_show() -> Show:
    """The primary show (what /api/v1/episodes and /api/v1/show act on); 404 for a caller who
    is not one of its members, as for a show that does not exist."""
    return access.show_for(my_show_ids(), current.show(), NO_SHOW)


def show_by_handle(handle: str) -> Show:
    """The show with this handle, when the caller may act on it; 404 otherwise."""
    show = queries.show_by_handle(db.session, handle)
    return access.show_for(my_show_ids(), show, f"There is no show '{handle}'.")


def created(payload: dict[str, Any], location: str) -> Response:
    """201 with the new resource and its Location."""
    response = jsonify(payload)
    response.status_code = 201
    response.headers["Location"] = location
    return response


def no_content() -> Response:
    """204 with an empty body."""
    return Response(status=204)


def known_id(value: int) -> bool:
    """True for an id the database could hold (larger ones are simply not found)."""
    return 1 <= value <= schemas.MAX_ID


def page_arguments() -> tuple[int, int | None]:
    """?limit= (1 to 100, default 20) and ?cursor= (an id), checked."""
    errors: dict[str, str] = {}
    limit, cursor = schemas.DEFAULT_LIMIT, None
    if "limit" in request.args:
        try:
            limit = int(request.args["limit"])
            if not 1 <= limit <= schemas.MAX_LIMIT:
                raise ValueError
        except ValueError:
            errors["limit"] = f"Give a whole number from 1 to {schemas.MAX_LIMIT}."
    if "cursor" in request.args:
        try:
            cursor = int(request.args["cursor"])
            if not 1 <= cursor <= schemas.MAX_ID:
                raise ValueError
        except ValueError:
            errors["cursor"] = "Not a cursor this API gave out."
    if errors:
        raise ValidationError(f"Please correct: {', '.join(sorted(errors))}.", fields=errors)
    return limit, cursor


def page_response(rows: list[Any], limit: int, render: Any, endpoint: str, **args: Any) -> Response:
    """{"items", "next"} for rows fetched with limit + 1 (the extra one says there is more)."""
    items = rows[:limit]
    next_url = None
    if len(rows) > limit:
        query = {k: v for k, v in args.items() if v is not None}
        next_url = url_for(endpoint, limit=limit, cursor=items[-1].id, _external=True, **query)
    return jsonify({"items": [render(row) for row in items], "next": next_url})
