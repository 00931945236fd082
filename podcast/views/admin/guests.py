"""Admin: guests, written once and reused (list, create, edit, photo, delete)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for

from podcast import current
from podcast.errors import ConflictError, PodcastError
from podcast.extensions import db
from podcast.i18n import gettext
from podcast.models import Guest
from podcast.services import queries
from podcast.services.guests import delete_guest, parse_guest_input, save_guest
from podcast.views.admin.common import (
    STALE_MESSAGE,
    apply_errors,
    bp,
    rerenders_on_stale_form,
    should_process,
    stale_form,
    upload_from,
)
from podcast.views.admin.forms import ActionForm, GuestForm


def _guest_or_404(guest_id: int) -> Guest:
    guest = db.session.get(Guest, guest_id)
    if guest is None:
        abort(404)
    return guest


def _links_text(guest: Guest) -> str:
    return "\n".join(f"{link.get('label', '')} {link['url']}".strip() for link in guest.links or [])


@bp.route("/guests")
def guests() -> str:
    """Every guest with the number of episodes they are on."""
    rows = queries.guests_with_episode_counts(db.session)
    return render_template("admin/guests.html", rows=rows, show=current.show())


def _raw(form: GuestForm) -> dict[str, Any]:
    return {
        "name": form.name.data,
        "bio": form.bio.data,
        "website": form.website.data,
        "links": form.links.data or "",
    }


def _guest_form(guest: Guest | None) -> Any:
    """GET renders; POST saves through the guest service or re-renders with its messages."""
    initial = (
        {
            "name": guest.name,
            "bio": guest.bio,
            "website": guest.website,
            "links": _links_text(guest),
        }
        if guest
        else {}
    )
    form = GuestForm(data=initial)
    error, status = None, 200
    if stale_form():
        error = STALE_MESSAGE
    elif should_process(form):
        try:
            saved = save_guest(
                db.session,
                current.storage(),
                guest,
                parse_guest_input(_raw(form), guest),
                photo=upload_from(form.photo.data),
                remove_photo=bool(form.remove_photo.data),
            )
        except PodcastError as exc:
            db.session.rollback()
            error = apply_errors(form, exc) or "Please correct the fields marked below."
            status = exc.status
        else:
            flash(gettext("Saved %(name)s.", name=saved.name))
            return redirect(url_for("admin.guests"))
    return render_template(
        "admin/guest_form.html",
        form=form,
        guest=guest,
        error=error,
        show=current.show(),
        delete_form=ActionForm(),
    ), status


@bp.route("/guests/new", methods=["GET", "POST"])
@rerenders_on_stale_form
def guest_new() -> Any:
    """A new guest."""
    return _guest_form(None)


@bp.route("/guests/<int:guest_id>/edit", methods=["GET", "POST"])
@rerenders_on_stale_form
def guest_edit(guest_id: int) -> Any:
    """Edit a guest."""
    return _guest_form(_guest_or_404(guest_id))


@bp.route("/guests/<int:guest_id>/delete", methods=["POST"])
def guest_delete(guest_id: int) -> Any:
    """Delete a guest who is on no episode; otherwise say which episodes hold them."""
    guest = _guest_or_404(guest_id)
    name = guest.name
    try:
        delete_guest(db.session, guest)
    except ConflictError as exc:
        db.session.rollback()
        episodes = queries.episodes_of_guest(db.session, guest_id)
        return render_template(
            "admin/guest_in_use.html",
            guest=guest,
            episodes=episodes,
            message=exc.message,
            show=current.show(),
        ), 409
    flash(gettext("Deleted %(name)s.", name=name))
    return redirect(url_for("admin.guests"))
