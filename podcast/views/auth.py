"""Log in and out: Flask-Login sessions, with failures throttled per account and address; a
forgotten password reset by a mailed link, and an invitation's link to a first password."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from podcast import current
from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.i18n import gettext, translate
from podcast.models import User
from podcast.notify.mail import mail_enabled
from podcast.services.account_links import Purpose, redeem_link, request_reset, user_for_link
from podcast.services.accounts import authenticate, end_sessions
from podcast.services.throttle import Blocked
from podcast.views.admin.common import STALE_MESSAGE, apply_errors, should_process, stale_form
from podcast.views.admin.forms import (
    ActionForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    WelcomeForm,
)

bp = Blueprint("auth", __name__)


@bp.before_app_request
def _per_request_state() -> None:
    """Load the user and the CSRF token afresh for every request.

    Flask-Login and Flask-WTF cache them on `g`, which lives on the app context; when one app
    context spans several requests (the test fixtures, scripts) a request would otherwise see
    the user or the token of the one before it.
    """
    g.pop("_login_user", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop("csrf_valid", None)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL, nor one to decode."""
    parts = urlsplit(target or "")
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not parts.scheme
        and not parts.netloc
        # Browsers drop tabs and newlines from a URL (turning "/\t/x" into "//x"), and a header
        # cannot carry them: no control, format or space character at all, in any script.
        and not any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in target)
    ):
        return target
    return url_for("admin.dashboard")


def _render(form: LoginForm, error: str | None = None, status: int = 200) -> Any:
    if stale_form():
        error = STALE_MESSAGE
    form.password.data = ""
    return render_template(
        "auth/login.html",
        form=form,
        error=error,
        show=current.show(),
        next=request.values.get("next", ""),
        can_reset=mail_enabled(),
    ), status


def _retry_later(body: Any, blocked: Blocked) -> Any:
    response = current_app.make_response((body, 429))
    response.headers["Retry-After"] = str(blocked.retry_after)
    return response


def _blocked(form: LoginForm, blocked: Blocked) -> Any:
    return _retry_later(_render(form, blocked.message, 429)[0], blocked)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The log-in form; five wrong passwords for one account (or 20 from one address) wait."""
    form = LoginForm()
    if not should_process(form):
        if current_user.is_authenticated and request.method == "GET":
            return redirect(_safe_next(request.args.get("next")))
        return _render(form)
    email, password = (form.email.data or "").strip(), form.password.data or ""
    throttle = current.throttle()
    address = request.remote_addr
    blocked = throttle.check(email, address)
    if blocked:
        return _blocked(form, blocked)
    user = (
        authenticate(db.session, email, password, passwords=current.passwords())
        if email and password
        else None
    )
    if user is None:
        throttle.failed(email, address)
        blocked = throttle.check(email, address)
        if blocked:
            return _blocked(form, blocked)
        return _render(form, gettext("Wrong email or password."), 200)
    throttle.succeeded(email)
    target = _safe_next(request.values.get("next"))
    session.clear()  # a fresh session for the logged-in user (no fixation)
    login_user(user)
    return redirect(target)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    """POST logs out everywhere (CSRF-protected); GET shows the button."""
    form = ActionForm()
    if request.method == "POST":
        if current_user.is_authenticated:
            # Every session of the account ends, so a copied cookie is worthless from now on.
            end_sessions(db.session, current_user._get_current_object())
        logout_user()
        session.clear()
        return redirect(url_for("auth.login", logged_out=1))
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form, show=current.show())


@bp.route("/login/forgot", methods=["GET", "POST"])
def forgot() -> Any:
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    enabled = mail_enabled()

    def page(sent: bool = False, error: str | None = None) -> str:
        return render_template(
            "auth/forgot.html", form=form, enabled=enabled, sent=sent, error=error,
            show=current.show(),
        )  # fmt: skip

    if not enabled or not should_process(form):
        return page()
    email = (form.email.data or "").strip()
    throttle, address = current.reset_throttle(), request.remote_addr
    blocked = throttle.check(email, address)
    if blocked is not None:
        wait = translate(blocked.wait)
        error = gettext("Too many reset requests. Try again in %(wait)s.", wait=wait)
        return _retry_later(page(error=error), blocked)
    throttle.failed(email, address)  # every request counts, whether a mail goes or not
    if email:
        request_reset(db.session, email)
    return page(sent=True)


def _new_password(purpose: Purpose, token: str) -> Any:
    """The page a link opens: choose a password, then be logged in with it."""
    secret = current_app.config["SECRET_KEY"]
    form = WelcomeForm() if purpose is Purpose.INVITE else NewPasswordForm()
    page = "reset" if purpose is Purpose.RESET else "welcome"
    user: User | None = None
    error, status = None, 200
    try:
        user = user_for_link(db.session, secret, purpose, token)
        if should_process(form):
            user = redeem_link(
                db.session, secret, purpose, token, form.password.data or "",
                name=form.name.data if isinstance(form, WelcomeForm) else None,
                passwords=current.passwords(),
            )  # fmt: skip
            session.clear()  # every other session ended with the new password; a fresh one here
            login_user(user)
            flash(
                gettext("Your password is set. Welcome!")
                if purpose is Purpose.INVITE
                else gettext("Your password is changed; every other session of yours has ended.")
            )
            return redirect(url_for("admin.dashboard"))
    except PodcastError as exc:
        db.session.rollback()
        error, status = apply_errors(form, exc) or translate(exc.message), exc.status
        if not exc.fields:
            user = None  # the link itself is refused: no form to fill in
    form.password.data = ""
    body = render_template(
        "auth/new_password.html", form=form, user=user, page=page, error=error,
        show=current.show(),
    )  # fmt: skip
    response = current_app.make_response((body, status))
    # The address holds the link's secret: never send it on, not even to this site's own files.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> Any:
    """A reset link from the mail: set a new password (once, within the hour)."""
    return _new_password(Purpose.RESET, token)


@bp.route("/login/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str) -> Any:
    """An invitation's link: the invitee chooses a password (within seven days)."""
    return _new_password(Purpose.INVITE, token)
