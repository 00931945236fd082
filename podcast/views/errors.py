"""Error pages for people and JSON errors for the API."""

from __future__ import annotations

from flask import Flask, Response, has_request_context, jsonify, render_template, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.i18n import gettext, lazy_gettext
from podcast.views.multipart import FormLimitError

# Titles and default sentences for the pages people see, in the page's language (the API's JSON
# keeps Werkzeug's English).
_TITLES = {
    400: lazy_gettext("Bad request"),
    403: lazy_gettext("Forbidden"),
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("Method not allowed"),
    413: lazy_gettext("Too large"),
    429: lazy_gettext("Too many requests"),
    500: lazy_gettext("Something went wrong"),
    503: lazy_gettext("Service unavailable"),
}
_SENTENCES = {
    400: lazy_gettext("The request could not be understood."),
    403: lazy_gettext("You may not see this page."),
    404: lazy_gettext("There is nothing at this address. Check the link, or search below."),
    405: lazy_gettext("This address does not answer that kind of request."),
    500: lazy_gettext("Something went wrong on our side. Try again in a moment."),
}
SOMETHING_WRONG = _TITLES[500]


def page_words(exc: HTTPException) -> tuple[str, str]:
    """(title, sentence) of an error page in the page's language; a view's own sentence stays."""
    status = exc.code or 500
    title = str(_TITLES.get(status, exc.name))
    default = type(exc).description
    if exc.description and exc.description != default:
        return title, exc.description
    return title, str(_SENTENCES.get(status, exc.description or exc.name))


def wants_json() -> bool:
    """True for API requests, which always get JSON errors."""
    return request.path.startswith("/api/")


def error_json(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> Response:
    """The one JSON error body (API and the admin's fetch endpoints): {"error": {"code",
    "message", "fields"}}."""
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


_COMMITTED = "podcast.committed"


@event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    """Remember that this request saved something: a later database error must not deny it."""
    if has_request_context():
        request.environ[_COMMITTED] = True


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status == 413 and not isinstance(exc, FormLimitError):
            limit = app.config["PODCAST_MAX_UPLOAD_MB"]
            message = gettext("The upload is larger than the %(limit)s MB limit.", limit=limit)
        else:
            message = exc.description or exc.name
        if wants_json():
            code = {401: "unauthorized", 404: "not_found", 413: "too_large"}.get(
                status, exc.name.lower().replace(" ", "_")
            )
            response = error_json(status, code, message)
        else:
            title, sentence = page_words(exc)
            if status == 413 and not isinstance(exc, FormLimitError):
                sentence = message
            response = app.make_response(
                (
                    render_template(
                        "errors/error.html", status=status, title=title, message=sentence
                    ),
                    status,
                )
            )
        # Keep what the exception says beyond its body: Allow on 405, WWW-Authenticate on 401.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(PodcastError)
    def _podcast_error(exc: PodcastError) -> Response | tuple[str, int]:
        if wants_json():
            return error_json(exc.status, exc.code, exc.message, exc.fields)
        return render_template(
            "errors/error.html",
            status=exc.status,
            title=str(SOMETHING_WRONG),
            message=exc.message,
        ), exc.status

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError) -> Response | tuple[str, int]:
        # The services roll back on failure; say so, instead of a bare "internal error".
        app.logger.error("database error on %s %s", request.method, request.path, exc_info=exc)
        db.session.rollback()  # the page below may read (the signed-in user) on this session
        if request.environ.get(_COMMITTED):
            status, code = 503, "database_unavailable"
            message = gettext(
                "The change was saved, but the database became unavailable before the answer "
                "was ready: read the resource again (GET) before sending the change again."
            )
        elif isinstance(exc, OperationalError) or exc.connection_invalidated:
            status, code = 503, "database_unavailable"
            message = gettext(
                "The database is unavailable right now. Nothing was saved; try again in a moment."
            )
        else:
            status, code = 500, "database_error"
            message = gettext(
                "The database refused the change. Nothing was saved; "
                "tell the site's operator if it happens again."
            )
        if wants_json():
            return error_json(status, code, message)
        return render_template(
            "errors/error.html", status=status, title=str(SOMETHING_WRONG), message=message
        ), status
