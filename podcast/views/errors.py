"""Error pages for people and JSON errors for the API."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from podcast.errors import PodcastError


def wants_json() -> bool:
    """True for API requests, which always get JSON errors."""
    return request.path.startswith("/api/")


def error_json(status: int, code: str, message: str, fields: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """The API's error body: {"error": {"code", "message", "fields"}}."""
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status == 413:
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
