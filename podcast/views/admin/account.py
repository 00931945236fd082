"""Admin: your own account (a new password) and API tokens (listed with their last use, revoked)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from podcast import current, i18n
from podcast.errors import NotFoundError, PodcastError
from podcast.extensions import db
from podcast.i18n import gettext, translate
from podcast.services import queries
from podcast.services.accounts import change_password, revoke_token, set_locale, token_state
from podcast.views.admin.common import (
    STALE_MESSAGE,
    apply_errors,
    bp,
    rerenders_on_stale_form,
    should_process,
    stale_form,
)
from podcast.views.admin.forms import ActionForm, LocaleForm, PasswordForm


@bp.route("/account", methods=["GET", "POST"])
@rerenders_on_stale_form
def account() -> Any:
    """Change your password; every other session of yours ends, this one goes on."""
    form = PasswordForm()
    user = current_user._get_current_object()
    error, status = None, 200
    throttle = current.throttle()
    if stale_form():
        error = str(STALE_MESSAGE)
    elif should_process(form):
        # A wrong current password counts as a failed log-in: a stolen session cannot guess it.
        blocked = throttle.check(user.email, request.remote_addr)
        if blocked:
            error, status = blocked.message, 429
        else:
            try:
                change_password(
                    db.session,
                    user,
                    form.current_password.data or "",
                    form.new_password.data or "",
                    passwords=current.passwords(),
                )
            except PodcastError as exc:
                db.session.rollback()
                if "current_password" in exc.fields:
                    throttle.failed(user.email, request.remote_addr)
                error = apply_errors(form, exc) or gettext(
                    "Please correct the fields marked below."
                )
                status = exc.status
            else:
                login_user(user)  # this browser carries on under the new session generation
                flash(gettext("Your password is changed; every other session of yours has ended."))
                return redirect(url_for("admin.account"))
    form.current_password.data = form.new_password.data = ""
    locale_form = LocaleForm(formdata=None, locale=user.locale)
    page = render_template(
        "admin/account.html",
        form=form,
        locale_form=locale_form,
        error=error,
        show=current.show(),
    )
    return page, status


@bp.route("/account/language", methods=["POST"])
def account_language() -> Any:
    """Choose the language of your admin pages (English or Russian); the listener pages keep
    their show's."""
    form = LocaleForm()
    try:
        set_locale(db.session, current_user._get_current_object(), form.locale.data or "")
    except PodcastError as exc:
        db.session.rollback()
        flash(translate(exc.message), "error")
    else:
        i18n.refresh_locale()  # this very answer already speaks the new language
        flash(gettext("The admin pages now speak the language you chose."))
    return redirect(url_for("admin.account"))


@bp.route("/tokens")
def tokens() -> str:
    """API tokens with their state and last use: yours, or everyone's for an admin."""
    rows = queries.api_tokens(None if current_user.is_admin else current_user.id)
    return render_template(
        "admin/tokens.html",
        tokens=[(row, token_state(row)) for row in rows],
        action_form=ActionForm(),
        show=current.show(),
    )


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def token_revoke(token_id: int) -> Any:
    """Revoke a token at once (yours, or any for an admin)."""
    try:
        row = revoke_token(db.session, token_id, acting=current_user._get_current_object())
    except NotFoundError:
        abort(404)
    if row.label:
        flash(gettext("Token %(id)s (%(label)s) is revoked.", id=row.id, label=row.label))
    else:
        flash(gettext("Token %(id)s is revoked.", id=row.id))
    return redirect(url_for("admin.tokens"))
