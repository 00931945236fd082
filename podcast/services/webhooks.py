"""A show's webhooks: the URLs told about its episode changes, each with its signing secret."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from podcast.errors import ValidationError
from podcast.models import Show, Webhook, utcnow
from podcast.outbound import OutboundError, check_url
from podcast.services.fields import URL_MAX
from podcast.wording import say

MAX_PER_SHOW = 20
SECRET_BYTES = 32  # 64 hex characters


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, fields={"url": message})


def check_webhook_url(url: str, *, allow_private: bool) -> str:
    """The URL when it can receive webhooks: http(s), at a public address; a field error else."""
    url = (url or "").strip()
    if not url:
        raise _refuse(say("Give the URL that should receive the POSTs."))
    if len(url) > URL_MAX:
        raise _refuse(say("Keep the URL under %(count)s characters.", count=URL_MAX))
    try:
        return check_url(url, allow_private=allow_private)
    except OutboundError as exc:
        raise _refuse(exc.message) from None


def create_webhook(
    session: Session,
    show: Show,
    url: str,
    *,
    allow_private: bool,
    now: datetime | None = None,
) -> Webhook:
    """Add a webhook to the show with a new random secret."""
    url = check_webhook_url(url, allow_private=allow_private)
    hooks = select(Webhook).where(Webhook.show_id == show.id)
    if session.scalar(hooks.where(Webhook.url == url)) is not None:
        raise _refuse(say("This URL already receives the show's webhooks."))
    count = session.scalar(select(func.count()).select_from(hooks.subquery())) or 0
    if count >= MAX_PER_SHOW:
        raise _refuse(
            say("A show can have at most %(count)s webhooks; remove one first.", count=MAX_PER_SHOW)
        )
    webhook = Webhook(
        show=show, url=url, secret=secrets.token_hex(SECRET_BYTES), created_at=now or utcnow()
    )
    session.add(webhook)
    session.commit()
    return webhook


def delete_webhook(session: Session, webhook: Webhook) -> None:
    """Remove the webhook and its delivery log; deliveries still queued are dropped."""
    session.delete(webhook)
    session.commit()
