"""Media served from storage: HEAD, byte ranges, ETag, the right Content-Type."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable, Iterator

from flask import Blueprint, Response, abort, request

from podcast import current
from podcast.errors import NotFoundError
from podcast.services.processing import MASTERS_PREFIX
from podcast.storage import IMMUTABLE_CACHE
from podcast.views.public import ranges
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


def media_type(key: str) -> str:
    """The Content-Type for a key, matching the enclosure type the feed states."""
    suffix = key[key.rfind(".") :].lower() if "." in key else ""
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


@bp.route("/media/<path:key>", methods=["GET", "HEAD"])
def serve(key: str) -> Response:
    """Serve one stored object with HEAD, Range (206/416), ETag, Last-Modified and preconditions.

    Local disk and the S3 proxy take the same path, so they answer the same to every request.
    """
    return respond(key)


# Told, once a GET's body has gone out (or the listener hung up), its first byte, how many
# bytes were sent and the file's size: what the counting route records.
SentHook = Callable[[int, int, int], None]


def _counted(body: Iterable[bytes], start: int, size: int, sent: SentHook) -> Iterator[bytes]:
    taken = 0
    try:
        for chunk in body:
            taken += len(chunk)
            yield chunk
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
        sent(start, taken, size)


def respond(key: str, sent: SentHook | None = None) -> Response:
    """The answer /media/<key> gives (404, 200, 206, 304, 412, 416), for this route and the
    counting route; `sent` hears of the bytes a GET's body actually delivered."""
    if key.startswith(MASTERS_PREFIX):
        abort(404)  # masters are kept privately, for re-processing only
    storage = current.storage()
    try:
        info = storage.stat(key)
    except (NotFoundError, ValueError):
        abort(404)
    rep = ranges.Representation(info.size, info.etag, info.last_modified)
    decided = ranges.answer(request.method, request.headers, rep)
    body: Iterator[bytes] | bytes = b""
    if decided.length and request.method != "HEAD":
        try:
            body = storage.open_range(key, decided.start, decided.end)
        except NotFoundError:  # deleted since the stat
            abort(404)
        if sent is not None:
            body = _counted(body, decided.start, info.size, sent)
    mimetype = media_type(key) if decided.status in (200, 206) else None
    response = Response(body, status=decided.status, mimetype=mimetype, direct_passthrough=True)
    response.content_length = decided.length
    if decided.status == 206:
        response.headers["Content-Range"] = f"bytes {decided.start}-{decided.end}/{info.size}"
    elif decided.status == 416:
        response.headers["Content-Range"] = f"bytes */{info.size}"
    if decided.status in (200, 206, 304):
        response.set_etag(info.etag)
        response.last_modified = info.last_modified
    response.headers["Cache-Control"] = IMMUTABLE_CACHE
    response.headers["Accept-Ranges"] = "bytes"
    response.headers.pop("Content-Security-Policy", None)
    return response
