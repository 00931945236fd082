"""Error pages for people and JSON errors for the API."""

from __future__ import annotations

from flask import Flask, Response, has_request_context, jsonify, render_template, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.views.multipart import FormLimitError


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
            message = f"The upload is larger than the {limit} MB limit."
        else:
            message = exc.description or exc.name
        if wants_json():
            code = {401: "unauthorized", 404: "not_found", 413: "too_large"}.get(
                status, exc.name.lower().replace(" ", "_")
            )
            response = error_json(status, code, message)
        else:
            response = app.make_response(
                (
                    render_template(
                        "errors/error.html", status=status, title=exc.name, message=message
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
            title="Something went wrong",
            message=exc.message,
        ), exc.status

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError) -> Response | tuple[str, int]:
        # The services roll back on failure; say so, instead of a bare "internal error".
        app.logger.error("database error on %s %s", request.method, request.path, exc_info=exc)
        db.session.rollback()  # the page below may read (the signed-in user) on this session
        if request.environ.get(_COMMITTED):
            status, code = 503, "database_unavailable"
            message = (
                "The change was saved, but the database became unavailable before the answer "
                "was ready: read the resource again (GET) before sending the change again."
            )
        elif isinstance(exc, OperationalError) or exc.connection_invalidated:
            status, code = 503, "database_unavailable"
            message = (
                "The database is unavailable right now. Nothing was saved; try again in a moment."
            )
        else:
            status, code = 500, "database_error"
            message = (
                "The database refused the change. Nothing was saved; "
                "tell the site's operator if it happens again."
            )
        if wants_json():
            return error_json(status, code, message)
        return render_template(
            "errors/error.html", status=status, title="Something went wrong", message=message
        ), status
