"""The notification jobs: ping the WebSub hub, POST a signed event to a webhook.

Outbound HTTP goes through `podcast.outbound` (the standard library's http.client, no
redirects, a few seconds' timeout), so a receiver that hangs fails the attempt, which is retried
with back-off, and the worker moves on. Bodies reuse the API's JSON for the episode and the
show, so a receiver parses one shape whether it was called or it asked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from podcast import current, outbound
from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.jobs import handler
from podcast.models import Episode, EpisodeEvent, Show, Webhook, WebhookDelivery, utcnow
from podcast.notify.events import WEBHOOK_JOB, WEBSUB_JOB
from podcast.views.api.serializers import episode_json, show_json
from podcast.views.urls import feed_url
from podcast.wording import record, say

SIGNATURE_HEADER = "X-Podcast-Signature"
DELIVERY_HEADER = "X-Podcast-Delivery"
EVENT_HEADER = "X-Podcast-Event"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: sha256=<hex HMAC-SHA256 of the body, keyed by the secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(webhook: Webhook, payload: dict[str, Any]) -> bytes:
    """The JSON body of one delivery: {event, delivery_id, occurred_at, episode, show}."""
    episode = None
    if payload["event"] != EpisodeEvent.DELETED:
        episode = db.session.get(Episode, payload["episode"]["id"])
    document = {
        "event": payload["event"],
        "delivery_id": payload["delivery_id"],
        "occurred_at": payload["occurred_at"],
        # The episode as the API shows it at delivery; once deleted, what identified it.
        "episode": episode_json(episode) if episode is not None else payload["episode"],
        "show": show_json(webhook.show),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _attempt(webhook_id: int, delivery_id: str) -> int:
    logged = db.session.scalar(
        select(func.count()).where(
            WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.delivery_id == delivery_id
        )
    )
    return (logged or 0) + 1


@handler(WEBHOOK_JOB)
def deliver_webhook(ctx: Any, payload: dict[str, Any]) -> dict[str, Any] | None:
    """POST one event to one webhook, signed with its secret, and log the attempt.

    Idempotent: every attempt of a delivery carries the same X-Podcast-Delivery id (and the
    body names it too), so a receiver that already took it can drop the repeat; a retry after
    a worker died mid-request therefore does no harm.
    """
    webhook = db.session.get(Webhook, payload["webhook_id"])
    if webhook is None:
        return {"skipped": "The webhook was removed before the delivery."}
    ctx.progress(10, say("Sending %(event)s to %(url)s", event=payload["event"], url=webhook.url))
    body = webhook_body(webhook, payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: sign(webhook.secret, body),
        DELIVERY_HEADER: payload["delivery_id"],
        EVENT_HEADER: payload["event"],
    }
    attempt = _attempt(webhook.id, payload["delivery_id"])
    status, error = None, ""
    try:
        answer = outbound.post(
            webhook.url, body, headers, allow_private=current.settings().WEBHOOK_ALLOW_PRIVATE
        )
    except outbound.OutboundError as exc:
        error = exc.message
    else:
        status = answer.status
        if not answer.ok:
            error = say(
                "The receiver answered %(status)s; a 2xx status was expected.",
                status=answer.status,
            )
    db.session.add(
        WebhookDelivery(
            webhook_id=webhook.id,
            delivery_id=payload["delivery_id"],
            event=payload["event"],
            attempt=attempt,
            status_code=status,
            error=str(error),
            error_wording=record(error),
            created_at=utcnow(),
        )
    )
    db.session.commit()  # the log keeps the attempt even when the job fails below
    if error:
        raise PodcastError(error)
    return {"url": webhook.url, "status": status, "attempt": attempt}


@handler(WEBSUB_JOB)
def ping_websub_hub(ctx: Any, payload: dict[str, Any]) -> dict[str, Any] | None:
    """Tell the WebSub hub that the show's feed changed (hub.mode=publish, hub.url=the feed).

    Idempotent: a repeated ping only makes the hub fetch the feed once more, and the feed is
    the same bytes for the same content.
    """
    hub = current.settings().WEBSUB_HUB
    if not hub:
        return {"skipped": "PODCAST_WEBSUB_HUB is no longer set."}
    show = db.session.get(Show, payload.get("show_id")) if payload.get("show_id") else None
    if show is None and payload.get("show_id"):
        return {"skipped": "The show no longer exists."}
    feed = feed_url(show)  # each show's own feed; the primary show's stays /feed.xml
    ctx.progress(10, say("Telling %(hub)s that %(feed)s changed", hub=hub, feed=feed))
    body = urlencode({"hub.mode": "publish", "hub.url": feed}).encode()
    # The hub is the operator's own setting, not a user's URL: private addresses are allowed.
    answer = outbound.post(
        hub, body, {"Content-Type": "application/x-www-form-urlencoded"}, allow_private=True
    )
    if not answer.ok:
        raise PodcastError(
            say("The WebSub hub %(hub)s answered %(status)s.", hub=hub, status=answer.status)
        )
    return {"hub": hub, "feed": feed, "status": answer.status}
