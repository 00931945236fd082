"""API routes for the show's webhooks (admins only): list, add, get, remove, delivery log."""

from __future__ import annotations

from flask import Response, g, jsonify, request, url_for

from podcast import current
from podcast.errors import ForbiddenError, NotFoundError
from podcast.extensions import db
from podcast.models import Show, Webhook
from podcast.services import queries, webhooks
from podcast.views.api.base import (
    ID_RULE,
    bp,
    created,
    known_id,
    no_content,
    page_arguments,
    page_response,
    primary_show,
    show_by_handle,
)
from podcast.views.api.serializers import webhook_delivery_json, webhook_json
from podcast.views.api.validation import read_body


def _admin() -> None:
    if not g.api_user.is_admin:
        raise ForbiddenError("Only admins manage webhooks.")


def _admin_show(handle: str | None = None) -> Show:
    """The show named (?show= or the body's `show`), else the primary show; admins only."""
    _admin()
    handle = handle or request.args.get("show")
    return show_by_handle(handle) if handle else primary_show()


def _webhook_or_404(webhook_id: int) -> Webhook:
    _admin()
    webhook = queries.get_webhook(db.session, webhook_id) if known_id(webhook_id) else None
    if webhook is None:
        raise NotFoundError(f"There is no webhook {webhook_id}.")
    return webhook


@bp.get("/webhooks")
def list_webhooks() -> Response:
    """The show's webhooks, oldest first, with their secrets."""
    show = _admin_show()
    items = [webhook_json(w) for w in queries.show_webhooks(db.session, show.id)]
    return jsonify({"items": items, "next": None})


@bp.post("/webhooks")
def create_webhook() -> Response:
    """Add a webhook to a show (the body's `show`, else the primary show); its secret is made
    here and returned."""
    _admin()
    body = read_body("WebhookCreate")
    show = _admin_show(body.fields.get("show"))
    webhook = webhooks.create_webhook(
        db.session,
        show,
        body.fields["url"],
        allow_private=current.settings().WEBHOOK_ALLOW_PRIVATE,
    )
    location = url_for("api.get_webhook", webhook_id=webhook.id, _external=True)
    return created(webhook_json(webhook), location)


@bp.get(f"/webhooks/<{ID_RULE}:webhook_id>")
def get_webhook(webhook_id: int) -> Response:
    """One webhook."""
    return jsonify(webhook_json(_webhook_or_404(webhook_id)))


@bp.delete(f"/webhooks/<{ID_RULE}:webhook_id>")
def delete_webhook(webhook_id: int) -> Response:
    """Remove a webhook and its delivery log."""
    webhooks.delete_webhook(db.session, _webhook_or_404(webhook_id))
    return no_content()


@bp.get(f"/webhooks/<{ID_RULE}:webhook_id>/deliveries")
def list_webhook_deliveries(webhook_id: int) -> Response:
    """The webhook's delivery log, newest first: one entry per attempt."""
    webhook = _webhook_or_404(webhook_id)
    limit, cursor = page_arguments()
    rows = queries.webhook_deliveries(db.session, webhook.id, limit=limit + 1, before=cursor)
    return page_response(
        rows, limit, webhook_delivery_json, "api.list_webhook_deliveries", webhook_id=webhook.id
    )
