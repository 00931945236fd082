"""API routes for download counts: a show's and an episode's, over ?from=&to= (UTC days)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from podcast.analytics import reports
from podcast.extensions import db
from podcast.models import utcnow
from podcast.views.api.base import ID_RULE, bp, show_by_handle
from podcast.views.api.episodes import episode_or_404


def downloads_json(found: reports.Downloads) -> dict[str, Any]:
    """The API's downloads answer: total, every day of the span, apps and countries."""
    return {
        "total": found.total,
        "by_day": [{"date": day.isoformat(), "downloads": n} for day, n in found.by_day],
        "by_app": [{"name": name, "downloads": n} for name, n in found.by_app],
        "by_country": [{"code": code, "downloads": n} for code, n in found.by_country],
    }


def _span() -> reports.Span:
    today = reports.today_utc(utcnow())
    return reports.parse_span(request.args.get("from"), request.args.get("to"), today)


@bp.get(f"/episodes/<{ID_RULE}:episode_id>/downloads")
def episode_downloads(episode_id: int) -> Response:
    """One episode's downloads by day, app and country (default: the last 90 days)."""
    episode = episode_or_404(episode_id)
    found = reports.downloads(db.session, _span(), episode_id=episode.id)
    return jsonify(downloads_json(found))


@bp.get("/shows/<handle>/downloads")
def show_downloads(handle: str) -> Response:
    """A show's downloads by day, app and country (default: the last 90 days)."""
    show = show_by_handle(handle)
    found = reports.downloads(db.session, _span(), show_id=show.id)
    return jsonify(downloads_json(found))
