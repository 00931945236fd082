"""Preview links: a signed, expiring token that names an unpublished episode."""

from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from podcast.errors import NotFoundError
from podcast.models import utcnow

SALT = "episode-preview"
PREVIEW_DAYS = 7
PREVIEW_AGE = timedelta(days=PREVIEW_DAYS)


class PreviewExpiredError(NotFoundError):
    """A preview link that was genuine but is older than PREVIEW_DAYS."""

    code = "expired"
    status = 410


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def preview_token(secret: str, episode_id: int) -> str:
    """A token that opens the episode's preview for PREVIEW_DAYS, without a login."""
    return _serializer(secret).dumps(episode_id)


def preview_expires(now: datetime | None = None) -> datetime:
    """When a preview link made at `now` (default: this moment) stops working."""
    return (now or utcnow()) + PREVIEW_AGE


def previewed_episode_id(secret: str, token: str) -> int:
    """The episode id a preview token names; raises NotFoundError for a forged or bad one
    and PreviewExpiredError for one past its PREVIEW_DAYS."""
    try:
        value = _serializer(secret).loads(token, max_age=int(PREVIEW_AGE.total_seconds()))
    except SignatureExpired as exc:
        raise PreviewExpiredError("This preview link has expired.") from exc
    except BadSignature as exc:
        raise NotFoundError("There is no preview at this address.") from exc
    if not isinstance(value, int) or isinstance(value, bool):
        raise NotFoundError("There is no preview at this address.")
    return value
