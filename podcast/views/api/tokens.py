"""API routes for the caller's own API tokens: list them (with their last use), revoke one."""

from __future__ import annotations

from flask import Response, g

from podcast.errors import NotFoundError
from podcast.extensions import db
from podcast.services import queries
from podcast.services.accounts import revoke_token
from podcast.views.api.base import ID_RULE, bp, known_id, no_content, page_arguments, page_response
from podcast.views.api.serializers import token_json


@bp.get("/tokens")
def list_tokens() -> Response:
    """The caller's tokens, newest first, with their state and last use."""
    limit, cursor = page_arguments()
    rows = queries.api_tokens(g.api_user.id, before=cursor, limit=limit + 1)
    return page_response(
        rows, limit, lambda row: token_json(row, current=g.api_token_id), "api.list_tokens"
    )


@bp.delete(f"/tokens/<{ID_RULE}:token_id>")
def delete_token(token_id: int) -> Response:
    """Revoke a token of the caller's (an admin may revoke anyone's); refused from then on."""
    if not known_id(token_id):
        raise NotFoundError(f"There is no API token {token_id} that you may revoke.")
    revoke_token(db.session, token_id, acting=g.api_user)
    return no_content()
