"""The API's JSON shapes: episodes, guests and the show as plain dicts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import url_for

from podcast.extensions import db
from podcast.jobs.records import Job
from podcast.models import ApiToken, Episode, Guest, MediaAsset, Show, Webhook, WebhookDelivery
from podcast.services.accounts import token_state
from podcast.services.episode_input import PLAIN_FIELDS
from podcast.services.markup import render_markdown
from podcast.services.processing import processing_job, settings_for
from podcast.views.urls import episode_url, feed_url, guest_url, media_url, show_url


def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a trailing Z, or None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _audio(asset: MediaAsset | None) -> dict[str, Any] | None:
    if asset is None:
        return None
    return {"url": media_url(asset), "size_bytes": asset.size_bytes, "mime_type": asset.mime_type}


def guest_json(guest: Guest) -> dict[str, Any]:
    """A guest as the API shows it."""
    return {
        "id": guest.id,
        "slug": guest.slug,
        "name": guest.name,
        "bio": guest.bio or "",
        "bio_html": str(render_markdown(guest.bio)),
        "website": guest.website or "",
        "links": [
            {"label": str(link.get("label") or ""), "url": str(link.get("url") or "")}
            for link in guest.links or []
        ],
        "photo": media_url(guest.photo),
        "url": guest_url(guest),
    }


def episode_json(episode: Episode) -> dict[str, Any]:
    """An episode as the API shows it, with its guests in speaking order."""
    audio = episode.audio
    return {
        "id": episode.id,
        "show": episode.show.handle,
        "slug": episode.slug,
        "guid": episode.guid,
        **{name: getattr(episode, name) for name in PLAIN_FIELDS},
        "description_html": str(render_markdown(episode.description)),
        "status": episode.status.value,
        "publish_at": timestamp(episode.publish_at),
        "episode_type": episode.episode_type.value,
        "duration_seconds": audio.duration_seconds if audio is not None else None,
        "audio": _audio(audio),
        "image": media_url(episode.image),
        "transcript": media_url(episode.transcript),
        "chapters": [
            {"start": float(c["start"]), "title": str(c["title"])}
            for c in episode.effective_chapters
        ],
        "guests": [guest_json(guest) for guest in episode.guests],
        "url": episode_url(episode),
        "created_at": timestamp(episode.created_at),
        "updated_at": timestamp(episode.updated_at),
        "loudness": _loudness(audio),
        "source": episode.source,
        "processing": job_json(job) if (job := processing_job(db.session, episode)) else None,
    }


def _loudness(audio: MediaAsset | None) -> dict[str, Any] | None:
    loudness = audio.loudness if audio is not None else None
    if not loudness:
        return None
    return {k: loudness.get(k) for k in ("integrated_lufs", "true_peak_dbtp", "range_lu")}


def show_json(show: Show) -> dict[str, Any]:
    """The show's settings as the API shows them."""
    return {
        "id": show.id,
        "title": show.title,
        "subtitle": show.subtitle or "",
        "description": show.description or "",
        "description_html": str(render_markdown(show.description)),
        "author": show.author or "",
        "owner_name": show.owner_name or "",
        "owner_email": show.owner_email or "",
        "language": show.language,
        "timezone": show.timezone,
        "categories": [" > ".join(part for part in pair if part) for pair in show.categories or []],
        "explicit": bool(show.explicit),
        "show_type": show.show_type,
        "artwork": media_url(show.artwork),
        "copyright": show.copyright or "",
        "website": show.website or "",
        "funding_url": show.funding_url or "",
        "funding_label": show.funding_label or "",
        "directory_links": dict(show.directory_links or {}),
        "hosts": [dict(host) for host in show.hosts or []],
        "locked": bool(show.locked),
        "complete": bool(show.complete),
        "new_feed_url": show.new_feed_url or "",
        "apple_verify": show.apple_verify or "",
        "embed_origins": show.embed_origins or "",
        "feed_page_size": show.feed_page_size,
        **settings_for(show).to_json(),
        "podcast_guid": show.podcast_guid,
        "handle": show.handle,
        "archived": show.archived,
        "feed_url": feed_url(show),
        "url": show_url(show),
        "updated_at": timestamp(show.updated_at),
    }


def job_json(job: Job) -> dict[str, Any]:
    """A job as the API (and the admin's progress poll) shows it."""
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state.value,
        "progress": job.progress,
        "message": job.message,
        "result": job.result,
        "error": job.error or None,
        "show_id": job.show_id,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "created_at": timestamp(job.created_at),
        "started_at": timestamp(job.started_at),
        "finished_at": timestamp(job.finished_at),
    }


def token_json(token: ApiToken, *, current: int | None = None) -> dict[str, Any]:
    """An API token as its owner sees it (never the token itself: only its hash is kept)."""
    return {
        "id": token.id,
        "label": token.label or "",
        "state": token_state(token),
        "created_at": timestamp(token.created_at),
        "last_used_at": timestamp(token.last_used_at),
        "expires_at": timestamp(token.expires_at),
        "revoked_at": timestamp(token.revoked_at),
        "current": token.id == current,
    }


def webhook_delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    """One logged delivery attempt."""
    return {
        "id": delivery.id,
        "delivery_id": delivery.delivery_id,
        "event": delivery.event,
        "attempt": delivery.attempt,
        "status_code": delivery.status_code,
        "error": delivery.error or None,
        "created_at": timestamp(delivery.created_at),
    }


def webhook_json(webhook: Webhook) -> dict[str, Any]:
    """A webhook with its signing secret (only admins see webhooks)."""
    return {
        "id": webhook.id,
        "show_id": webhook.show_id,
        "url": webhook.url,
        "secret": webhook.secret,
        "created_at": timestamp(webhook.created_at),
        "deliveries": url_for("api.list_webhook_deliveries", webhook_id=webhook.id, _external=True),
    }
