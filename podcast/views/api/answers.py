"""The answer to an API create: built from what is committed, kept under its Idempotency-Key.

The view hands `seal` to the service as its before_commit hook: the 201 body is built from the
flushed rows inside the transaction (nothing is read after the commit, so a database lost just
after it cannot turn a saved create into "nothing was saved"), and with an Idempotency-Key the
body is saved with the resource, so a retry gets the same answer instead of a duplicate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, g, jsonify, request

from podcast.extensions import db
from podcast.services import idempotency
from podcast.services.idempotency import HEADER, IdempotentRequest, SavedResponse
from podcast.views.api.validation import Body

REPLAYED_HEADER = "Idempotent-Replayed"


def _file_digest(part: Any) -> str:
    stream = part.stream
    if hasattr(stream, "hexdigest"):
        return str(stream.hexdigest())  # hashed as it arrived
    digest = hashlib.sha256()
    position = stream.tell()
    while chunk := stream.read(1024 * 1024):
        digest.update(chunk)
    stream.seek(position)
    return digest.hexdigest()


class CreateAnswer:
    """The 201 of one create: replayed for a known key, else built at commit by `seal`."""

    def __init__(
        self, operation: str, body: Body, render: Callable[[Any], tuple[dict[str, Any], str]]
    ) -> None:
        """Read the Idempotency-Key header (if any) and fingerprint the request's body."""
        self._render = render
        self._saved: SavedResponse | None = None
        self.request: IdempotentRequest | None = None
        key = request.headers.get(HEADER)
        if key is not None:
            files = {
                name: (part.filename or "", _file_digest(part)) for name, part in body.files.items()
            }
            self.request = IdempotentRequest(
                g.api_user.id,
                idempotency.check_key(key.strip()),
                idempotency.fingerprint(operation, body.fields, files),
            )

    def replay(self) -> Response | None:
        """The first answer again when this key was used before for the same request."""
        if self.request is None:
            return None
        saved = idempotency.saved_response(db.session, self.request)
        return None if saved is None else _respond(saved, replayed=True)

    def seal(self, resource: Any) -> None:
        """before_commit: build the answer from the flushed resource; keep it under the key."""
        payload, location = self._render(resource)
        self._saved = SavedResponse(201, payload, location)
        if self.request is not None:
            idempotency.remember(db.session, self.request, self._saved)

    def response(self) -> Response:
        """The answer built at commit time."""
        if self._saved is None:
            raise RuntimeError("the create committed without calling seal")
        return _respond(self._saved)


def _respond(saved: SavedResponse, *, replayed: bool = False) -> Response:
    response = jsonify(saved.body)
    response.status_code = saved.status
    if saved.location:
        response.headers["Location"] = saved.location
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return response
