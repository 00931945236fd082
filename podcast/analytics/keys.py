"""The daily listener keys: one random secret per UTC day, destroyed once that day is over.

A listener is HMAC(day's secret, address part + user agent): stable within the day (so ranges
add up and a second download is seen as one), unlinkable across days once the key is gone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from podcast.models import AnalyticsKey

# A day's key outlives the day by this much, for the hits of its last seconds still buffered.
KEY_GRACE = timedelta(minutes=10)
LISTENER_HEX = 32  # 128 bits of the HMAC: no two listeners of a day collide in practice


def key_for(session: Session, day: date) -> bytes:
    """The secret of this UTC day, made on first use (safe when several processes race)."""
    secret = session.scalar(select(AnalyticsKey.secret).where(AnalyticsKey.day == day))
    if secret is None:
        fresh = secrets.token_hex(32)
        try:
            with session.begin_nested():
                session.add(AnalyticsKey(day=day, secret=fresh))
            secret = fresh
        except IntegrityError:  # another process made it first: use theirs
            secret = session.scalar(select(AnalyticsKey.secret).where(AnalyticsKey.day == day))
            if secret is None:
                raise
    return bytes.fromhex(secret)


def destroy_old(session: Session, now: datetime) -> int:
    """Delete the keys of every day that ended more than KEY_GRACE ago; how many went."""
    last_kept = (now - KEY_GRACE).date()
    result = session.execute(delete(AnalyticsKey).where(AnalyticsKey.day < last_kept))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def usable(day: date, now: datetime) -> bool:
    """True while a day's key may still be kept (its day, or just after it ended)."""
    return day >= (now - KEY_GRACE).date()


def listener(secret: bytes, address_part: str, user_agent: str) -> str:
    """The listener's HMAC for the day of `secret`: address part and user agent, nothing else."""
    message = f"{address_part}\n{user_agent}".encode("utf-8", "replace")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:LISTENER_HEX]
