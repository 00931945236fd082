"""Media served from storage: HEAD, byte ranges, ETag, the right Content-Type."""

from __future__ import annotations

import mimetypes
import re

from flask import Blueprint, Response, abort, request, send_file
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from podcast import current
from podcast.errors import NotFoundError
from podcast.storage import IMMUTABLE_CACHE
from podcast.views.public.cors import open_to_browsers

bp = open_to_browsers(Blueprint("media", __name__))

MEDIA_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/x-m4a",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".json": "application/json",
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def media_type(key: str) -> str:
    """The Content-Type for a key, matching the enclosure type the feed states."""
    suffix = key[key.rfind(".") :].lower() if "." in key else ""
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


@bp.route("/media/<path:key>", methods=["GET", "HEAD"])
def serve(key: str) -> Response:
    """Serve one stored object with HEAD, Range (206/416), ETag and Last-Modified."""
    storage = current.storage()
    try:
        path = storage.local_path(key)
    except ValueError:
        abort(404)
    if path is not None:
        if not path.is_file():
            abort(404)
        try:
            response = send_file(
                path, mimetype=media_type(key), conditional=True, etag=True, max_age=31536000
            )
        except RequestedRangeNotSatisfiable as exc:
            # Answer 416 here: the app's error page would drop the Content-Range header.
            response = Response(status=416)
            response.headers["Content-Range"] = f"bytes */{exc.length}"
    else:
        response = _proxy(storage, key)
    response.headers["Cache-Control"] = IMMUTABLE_CACHE
    response.headers["Accept-Ranges"] = "bytes"
    response.headers.pop("Content-Security-Policy", None)
    return response


def _proxy(storage, key: str) -> Response:  # type: ignore[no-untyped-def]
    """Stream an object from a remote store, honouring one byte range."""
    try:
        info = storage.stat(key)
    except (NotFoundError, ValueError):
        abort(404)
    if request.if_none_match.contains(info.etag):
        response = Response(status=304)
        response.set_etag(info.etag)
        return response
    start, end, status = 0, info.size - 1, 200
    match = _RANGE.match(request.headers.get("Range", "").strip())
    if match and (match.group(1) or match.group(2)):
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last), info.size - 1) if last else info.size - 1
        else:
            start, end = max(info.size - int(last), 0), info.size - 1
        if start >= info.size or start > end:
            response = Response(status=416)
            response.headers["Content-Range"] = f"bytes */{info.size}"
            return response
        status = 206
    body = b"" if request.method == "HEAD" else storage.open_range(key, start, end)
    response = Response(body, status=status, mimetype=media_type(key), direct_passthrough=True)
    response.content_length = end - start + 1
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
    response.set_etag(info.etag)
    response.last_modified = info.last_modified
    return response
