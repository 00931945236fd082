"""Admin: user accounts and which shows each producer is a member of (admins only)."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from podcast import current
from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.i18n import gettext, translate
from podcast.models import User
from podcast.notify.mail import mail_enabled
from podcast.services import queries
from podcast.services.access import set_memberships
from podcast.services.account_links import Purpose, invite_user, make_link_token
from podcast.services.accounts import create_user, list_users, set_active
from podcast.views.admin.common import (
    STALE_MESSAGE,
    admin_required,
    apply_errors,
    bp,
    rerenders_on_stale_form,
    should_process,
    stale_form,
)
from podcast.views.admin.forms import ActionForm, InviteForm, UserForm
from podcast.views.urls import absolute


@bp.route("/users", methods=["GET", "POST"])
@admin_required
@rerenders_on_stale_form
def users() -> Any:
    """List accounts and create one."""
    form = UserForm()
    error, status = None, 200
    if stale_form():
        error = STALE_MESSAGE
    elif should_process(form):
        try:
            user = create_user(
                db.session,
                form.email.data or "",
                form.password.data or "",
                form.role.data,
                passwords=current.passwords(),
            )
        except PodcastError as exc:
            db.session.rollback()
            error = apply_errors(form, exc) or exc.message
            status = exc.status
        else:
            flash(gettext("Created %(email)s (%(role)s).", email=user.email, role=user.role.value))
            return redirect(url_for("admin.users"))
    form.password.data = ""
    return _page(form, InviteForm(prefix="invite"), error, status)


def _page(form: UserForm, invite: InviteForm, error: str | None, status: int) -> Any:
    accounts = list_users(db.session)
    return render_template(
        "admin/users.html",
        form=form,
        invite=invite,
        invited_shows=set(_ticked_shows()),
        mail=mail_enabled(),
        users=accounts,
        shows=queries.shows_by_id(db.session),
        memberships=queries.member_show_ids(db.session, [user.id for user in accounts]),
        action_form=ActionForm(),
        error=error,
        show=current.show(),
    ), status


def _ticked_shows() -> set[int]:
    return {int(v) for v in request.form.getlist("show") if v.isdigit()}


@bp.post("/users/invite")
@admin_required
def user_invite() -> Any:
    """Invite someone by email: an account with a role and shows, and a link to a password."""
    invite = InviteForm(prefix="invite")
    if not should_process(invite):
        return redirect(url_for("admin.users"))
    send = mail_enabled()
    try:
        user = invite_user(
            db.session,
            invite.email.data or "",
            invite.role.data,
            _ticked_shows(),
            locale=current_user.locale,
            send=send,
            passwords=current.passwords(),
        )
    except PodcastError as exc:
        db.session.rollback()
        error = apply_errors(invite, exc) or translate(exc.message)
        return _page(UserForm(formdata=None), invite, error, exc.status)
    if send:
        flash(gettext("Invited %(email)s: we sent them a link.", email=user.email))
    else:
        token = make_link_token(current_app.config["SECRET_KEY"], user, Purpose.INVITE)
        flash(
            gettext(
                "Invited %(email)s. Mail is not set up here, so send them this link yourself "
                "(it works for 7 days): %(link)s",
                email=user.email,
                link=absolute("auth.welcome", token=token),
            )
        )
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_required
def user_active(user_id: int) -> Any:
    """Deactivate or reactivate an account."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    active = request.form.get("active") == "1"
    try:
        set_active(db.session, user, active, acting=current_user)
    except PodcastError as exc:
        db.session.rollback()
        flash(translate(exc.message), "error")
    else:
        flash(
            gettext("%(email)s is active.", email=user.email)
            if active
            else gettext("%(email)s is deactivated.", email=user.email)
        )
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/shows")
@admin_required
def user_shows(user_id: int) -> Any:
    """Make a producer a member of exactly the ticked shows."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    known = queries.shows_by_id(db.session)
    wanted = {
        int(v)
        for v in request.form.getlist("show")
        if v.isascii() and v.isdigit() and int(v) in known
    }
    set_memberships(db.session, user, wanted)
    names = ", ".join(known[show_id].title for show_id in sorted(wanted))
    flash(
        gettext("%(email)s is a member of: %(shows)s.", email=user.email, shows=names)
        if names
        else gettext("%(email)s is a member of no show.", email=user.email)
    )
    return redirect(url_for("admin.users"))
