"""The admin blueprint and what its views share: access rules, error mapping, stale forms."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from podcast.errors import PodcastError
from podcast.extensions import db, login_manager
from podcast.i18n import gettext, lazy_gettext, translate
from podcast.models import Show
from podcast.services import access, queries
from podcast.services.uploads import Upload
from podcast.views.errors import error_json
from podcast.views.multipart import FormBodyError, FormLimitError

bp = Blueprint("admin", __name__, url_prefix="/admin")
STALE_MESSAGE = lazy_gettext("Your session expired; check and submit again.")
STALE_FLAG = "podcast.stale_form"
SHOW_IDS_KEY = "podcast.show_ids"
F = TypeVar("F", bound=Callable[..., Any])

# Views that can re-render their own form from request.form when the CSRF token is stale.
RERENDERS_ON_STALE_FORM: set[str] = set()


@bp.before_request
def _require_login() -> Any:
    """Every admin page needs a logged-in producer or admin."""
    if not current_user.is_authenticated:
        if _wants_json():
            # The upload script cannot follow a redirect to a login page; tell it in words.
            message = "Your session has expired. Log in again in another tab, then upload again."
            return error_json(401, "unauthorized", message, {"audio": message})
        return login_manager.unauthorized()
    return None


def admin_required(view: F) -> F:
    """Only admins: producers get 403."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def my_show_ids() -> frozenset[int] | None:
    """The ids of the shows the logged-in user may act on (None: an admin, every show)."""
    # Kept for the request only (not on g, which can outlive it).
    if SHOW_IDS_KEY not in request.environ:
        user = current_user._get_current_object()
        request.environ[SHOW_IDS_KEY] = access.show_ids_of(db.session, user)
    return cast(frozenset[int] | None, request.environ[SHOW_IDS_KEY])


def may_act_on(show_id: int | None) -> bool:
    """True when the logged-in user may act on this show."""
    return access.may_act_on(my_show_ids(), show_id)


def show_or_404(handle: str) -> Show:
    """The show with this handle when the logged-in user may act on it; 404 otherwise."""
    show = queries.show_by_handle(db.session, handle)
    if show is None or not may_act_on(show.id):
        abort(404)
    return show


def rerenders_on_stale_form(view: F) -> F:
    """Mark a view whose GET-style rendering keeps request.form's values after a CSRF failure."""
    RERENDERS_ON_STALE_FORM.add(f"{bp.name}.{view.__name__}")
    return view


def stale_form() -> bool:
    """True while re-rendering a form whose CSRF token was stale: show it, change nothing."""
    return bool(request.environ.get(STALE_FLAG))


def should_process(form: FlaskForm) -> bool:
    """True for a submitted form that passed CSRF (CSRFProtect already checked the token)."""
    return form.is_submitted() and not stale_form()


def upload_from(file: FileStorage | None) -> Upload | None:
    """The file input as an Upload, or None when nothing was chosen."""
    if file is None or not file.filename:
        return None
    return Upload(file.stream, file.filename)


def apply_errors(
    form: FlaskForm, error: PodcastError, aliases: dict[str, str] | None = None
) -> str:
    """Put the service's field messages next to the form's fields; returns what is left over."""
    aliases = aliases or {}
    leftover = []
    for name, message in error.fields.items():
        field = getattr(form, aliases.get(name, name), None)
        if field is None:
            leftover.append(translate(message))
            continue
        field.errors = [*list(field.errors or []), translate(message)]
    if not error.fields:
        leftover.append(translate(error.message))
    return " ".join(leftover)


def _wants_json() -> bool:
    return request.endpoint in {
        "admin.upload_audio",
        "admin.preview",
        "admin.episode_autosave",
    } or (request.accept_mimetypes.best == "application/json")


@bp.app_errorhandler(CSRFError)
def _stale_form(error: CSRFError) -> Any:
    """A stale form: re-render it with what was typed and a friendly message, not a bare 400."""
    if request.path.startswith("/api/"):
        return error_json(400, "csrf", error.description)
    if request.blueprint == "admin" and not current_user.is_authenticated:
        return _require_login()
    if request.blueprint == "admin" and _wants_json():
        return error_json(400, "session_expired", str(STALE_MESSAGE))
    if request.endpoint in RERENDERS_ON_STALE_FORM or request.endpoint == "auth.login":
        request.environ[STALE_FLAG] = True
        view = current_app.view_functions[request.endpoint]
        response = current_app.make_response(
            current_app.ensure_sync(view)(**(request.view_args or {}))
        )
        response.status_code = 400
        return response
    return render_template(
        "admin/message.html",
        title=gettext("Your session expired"),
        message=gettext(
            "Your session expired; check and submit again. Go back, reload the page and try again."
        ),
        back=request.referrer,
    ), 400


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Any:
    """An upload over the limit: JSON for the upload endpoint, a friendly page for forms."""
    limit = current_app.config["PODCAST_MAX_UPLOAD_MB"]
    title, message = (
        "File too large",
        (
            f"The file is larger than the {limit} MB upload limit. "
            "Compress it or ask an admin to raise PODCAST_MAX_UPLOAD_MB."
        ),
    )
    if isinstance(error, FormLimitError):
        title, message = "Form too large", str(error.description)
    if _wants_json():
        return error_json(413, "too_large", message)
    return render_template(
        "admin/message.html", title=title, message=message, back=request.referrer
    ), 413


@bp.errorhandler(FormBodyError)
def _unreadable_body(error: FormBodyError) -> Any:
    """A form body cut off or malformed: say so, in JSON for the upload endpoint."""
    message = str(error.description)
    if _wants_json():
        return error_json(400, "bad_request", message, {"audio": message})
    return render_template(
        "admin/message.html",
        title="The form did not arrive",
        message=message,
        back=request.referrer,
    ), 400


def render_json(data: dict[str, Any], status: int = 200) -> Response:
    """A JSON response."""
    response = jsonify(data)
    response.status_code = status
    return response
