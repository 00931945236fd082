"""Admin: a show's webhooks (?show=<handle>, else the primary show's) and their delivery
logs (admins only)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from podcast import current
from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.i18n import gettext
from podcast.models import Show, Webhook
from podcast.services import queries
from podcast.services.webhooks import create_webhook, delete_webhook
from podcast.views.admin.common import (
    admin_required,
    apply_errors,
    bp,
    rerenders_on_stale_form,
    should_process,
    show_or_404,
    stale_form,
)
from podcast.views.admin.forms import ActionForm, WebhookForm

LOG_PAGE = 50


def _show_or_404() -> Show:
    """The show of ?show=<handle>, else the primary show (admins act on every show)."""
    handle = request.args.get("show")
    show = show_or_404(handle) if handle else current.show()
    if show is None:
        abort(404)
    return show


def list_url(show: Show | None) -> str:
    """The webhooks page of the show (the primary show's without ?show=)."""
    primary = current.show()
    if show is None or (primary is not None and show.id == primary.id):
        return url_for("admin.webhooks")
    return url_for("admin.webhooks", show=show.handle)


def _webhook_or_404(webhook_id: int) -> Webhook:
    webhook = queries.get_webhook(db.session, webhook_id)
    if webhook is None:
        abort(404)
    return webhook


@bp.route("/show/webhooks", methods=["GET", "POST"])
@admin_required
@rerenders_on_stale_form
def webhooks() -> Any:
    """List the show's webhooks with their last delivery, and add one."""
    show = _show_or_404()
    form = WebhookForm()
    error, status = None, 200
    if stale_form():
        error = gettext("Your session expired; check and submit again.")
    elif should_process(form):
        try:
            webhook = create_webhook(
                db.session,
                show,
                form.url.data or "",
                allow_private=current.settings().WEBHOOK_ALLOW_PRIVATE,
            )
        except PodcastError as exc:
            db.session.rollback()
            error = apply_errors(form, exc) or "Please correct the field marked below."
            status = exc.status
        else:
            flash(
                gettext(
                    "Added the webhook %(url)s. Verify its POSTs with the secret below.",
                    url=webhook.url,
                )
            )
            return redirect(list_url(show))
    hooks = queries.show_webhooks(db.session, show.id)
    last = queries.last_deliveries(db.session, [hook.id for hook in hooks])
    return render_template(
        "admin/webhooks.html",
        show=show,
        webhooks=hooks,
        last=last,
        form=form,
        action_form=ActionForm(),
        error=error,
        list_url=list_url(show),
    ), status


@bp.get("/show/webhooks/<int:webhook_id>")
@admin_required
def webhook_log(webhook_id: int) -> Any:
    """One webhook's delivery log, newest first: time, event, attempt, status, error."""
    webhook = _webhook_or_404(webhook_id)
    before = request.args.get("before", type=int)
    rows = queries.webhook_deliveries(db.session, webhook.id, limit=LOG_PAGE + 1, before=before)
    older = rows[LOG_PAGE - 1].id if len(rows) > LOG_PAGE else None
    return render_template(
        "admin/webhook_log.html",
        show=webhook.show,
        webhook=webhook,
        deliveries=rows[:LOG_PAGE],
        older=older,
        list_url=list_url(webhook.show),
    )


@bp.post("/show/webhooks/<int:webhook_id>/delete")
@admin_required
def webhook_delete(webhook_id: int) -> Any:
    """Remove a webhook and its log."""
    webhook = _webhook_or_404(webhook_id)
    url, back = webhook.url, list_url(webhook.show)
    delete_webhook(db.session, webhook)
    flash(gettext("Removed the webhook %(url)s.", url=url))
    return redirect(back)
