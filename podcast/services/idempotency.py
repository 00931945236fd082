"""Idempotency keys for the API's creates: a retry with the same key gets the first answer.

The key's row is written in the same transaction as what the request created, with the
answer built before the commit, so a create is either not made and not remembered, or made
and answered the same way every time it is retried (for KEY_LIFETIME).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from podcast.errors import ConflictError, ValidationError
from podcast.models import IdempotencyKey, utcnow

HEADER = "Idempotency-Key"
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class KeyReusedError(ValidationError):
    """An Idempotency-Key sent again with a different request."""

    code = "idempotency_key_reused"


@dataclass(frozen=True)
class IdempotentRequest:
    """Who sent which key, and the SHA-256 of what they asked for."""

    user_id: int
    key: str
    fingerprint: str


@dataclass(frozen=True)
class SavedResponse:
    """The answer a key's first request got."""

    status: int
    body: dict[str, Any]
    location: str


def check_key(key: str) -> str:
    """The header's key, if it is 1 to 255 printable ASCII characters; ValidationError if not."""
    if not (1 <= len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
        message = f"Give 1 to {MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID."
        raise ValidationError(
            f"The {HEADER} header is not usable: {message}", fields={HEADER: message}
        )
    return key


def fingerprint(operation: str, fields: dict[str, Any], files: dict[str, tuple[str, str]]) -> str:
    """SHA-256 of the operation, its fields and its files' names and SHA-256s."""
    document = {"operation": operation, "fields": fields, "files": files}
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def saved_response(
    session: Session, request: IdempotentRequest, now: datetime | None = None
) -> SavedResponse | None:
    """The answer saved under this key, or None when it is new (or expired).

    KeyReusedError (422) when the key was used for a different request.
    """
    now = now or utcnow()
    row = session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.user_id == request.user_id, IdempotencyKey.key == request.key
        )
    )
    if row is None or row.created_at <= now - KEY_LIFETIME:
        return None
    if row.request_sha256 != request.fingerprint:
        message = (
            "This key was already used for a different request in the last 24 hours; "
            "send a new key with a new request."
        )
        raise KeyReusedError(f"{HEADER}: {message}", fields={HEADER: message})
    return SavedResponse(row.status_code, dict(row.response), row.location)


def remember(
    session: Session,
    request: IdempotentRequest,
    response: SavedResponse,
    now: datetime | None = None,
) -> None:
    """Add the key and its answer to the transaction in progress (committed with the resource).

    ConflictError (409) when another request with the same key was saved meanwhile.
    """
    now = now or utcnow()
    session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.created_at <= now - KEY_LIFETIME,
        )
    )
    session.add(
        IdempotencyKey(
            user_id=request.user_id, key=request.key, request_sha256=request.fingerprint,
            status_code=response.status, response=response.body, location=response.location,
            created_at=now,
        )
    )  # fmt: skip
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(
            f"Another request with this {HEADER} was saved while this one ran; "
            "send it again to get that request's answer."
        ) from None
