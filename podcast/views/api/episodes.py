"""API routes for episodes: list, create (multipart with audio, or JSON), get, patch, delete."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request, url_for

from podcast import current
from podcast.errors import ConflictError, NotFoundError, ValidationError
from podcast.extensions import db
from podcast.models import Episode, EpisodeStatus, Show
from podcast.services import episodes as publishing
from podcast.services import queries
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments
from podcast.services.fields import choose_sentence
from podcast.services.processing_run import reprocess
from podcast.views.api.answers import CreateAnswer
from podcast.views.api.base import (
    ID_RULE,
    NO_SHOW,
    bp,
    known_id,
    my_show_ids,
    no_content,
    page_arguments,
    page_response,
    primary_show,
    show_by_handle,
)
from podcast.views.api.schemas import STATUSES
from podcast.views.api.serializers import episode_json, job_json
from podcast.views.api.validation import Body, read_body


def episode_or_404(episode_id: int) -> Episode:
    """The episode when it is on one of the caller's shows; another show's is "not found"."""
    episode = None
    if known_id(episode_id):
        episode = queries.api_episode(db.session, episode_id, my_show_ids())
    if episode is None:
        raise NotFoundError(f"There is no episode {episode_id}.")
    return episode


def _primary_show() -> Show:
    if current.show() is None:
        raise ConflictError(NO_SHOW)
    return primary_show()


def _fields(body: Body) -> dict[str, Any]:
    """The checked fields, with an RFC 3339 'z' or 't' made upper case for the parser."""
    fields = dict(body.fields)
    if isinstance(fields.get("publish_at"), str):
        fields["publish_at"] = fields["publish_at"].upper()
    return fields


def _attachments(body: Body) -> Attachments:
    """The files of a multipart body, or the removals (null) of a JSON one."""
    return Attachments(
        audio=body.upload("audio"),
        image=body.upload("image"),
        transcript=body.upload("transcript"),
        remove_image=body.is_json and "image" in body.fields,
        remove_transcript=body.is_json and "transcript" in body.fields,
    )


@bp.get("/episodes")
def list_episodes() -> Response:
    """The primary show's episodes newest first, drafts included; ?status= filters, ?limit=
    and ?cursor= page."""
    if current.show() is None:
        return jsonify({"items": [], "next": None})  # no show yet: no episodes
    return _list(primary_show(), "api.list_episodes")


@bp.get("/shows/<handle>/episodes")
def list_show_episodes(handle: str) -> Response:
    """One show's episodes, as GET /episodes lists the primary show's."""
    return _list(show_by_handle(handle), "api.list_show_episodes", handle=handle)


def _list(show: Show, endpoint: str, **args: Any) -> Response:
    limit, cursor = page_arguments()
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        message = choose_sentence(STATUSES)
        raise ValidationError(message, fields={"status": message})
    rows = queries.api_episodes_page(
        db.session,
        limit,
        cursor,
        EpisodeStatus(status) if status is not None else None,
        show_id=show.id,
    )
    return page_response(rows, limit, episode_json, endpoint, status=status, **args)


@bp.post("/episodes")
def create_episode() -> Response:
    """Create an episode on the primary show; on any failure nothing is stored. An
    Idempotency-Key makes it safe to retry: the same key and body get the first answer again,
    never a second episode."""
    return _create(_primary_show(), "createEpisode")


@bp.post("/shows/<handle>/episodes")
def create_show_episode(handle: str) -> Response:
    """Create an episode on this show, as POST /episodes does on the primary one."""
    # The show is part of what an Idempotency-Key stands for: the same key on another show is
    # another request.
    return _create(show_by_handle(handle), f"createEpisode:{handle}")


def _create(show: Show, operation: str) -> Response:
    body = read_body("EpisodeCreate", "EpisodeCreateForm")
    answer = CreateAnswer(operation, body, _created_episode)
    replayed = answer.replay()
    if replayed is not None:
        return replayed
    data = parse_episode_input(_fields(body), partial=False, timezone=show.timezone)
    publishing.create_episode(
        db.session,
        current.storage(),
        show,
        data,
        _attachments(body),
        max_bytes=current.max_upload_bytes(),
        before_commit=answer.seal,
    )
    return answer.response()


def _created_episode(episode: Episode) -> tuple[dict[str, Any], str]:
    location = url_for("api.get_episode", episode_id=episode.id, _external=True)
    warnings = publishing.numbering_warnings(db.session, episode)
    return {**episode_json(episode), "warnings": warnings}, location


@bp.get(f"/episodes/<{ID_RULE}:episode_id>")
def get_episode(episode_id: int) -> Response:
    """One episode, whatever its status."""
    return jsonify(episode_json(episode_or_404(episode_id)))


@bp.patch(f"/episodes/<{ID_RULE}:episode_id>")
def update_episode(episode_id: int) -> Response:
    """Change the given fields; a new audio file replaces the old one."""
    episode = episode_or_404(episode_id)
    body = read_body("EpisodePatch", "EpisodePatchForm")
    data = parse_episode_input(_fields(body), partial=True, timezone=episode.show.timezone)
    publishing.update_episode(
        db.session,
        current.storage(),
        episode,
        data,
        _attachments(body),
        max_bytes=current.max_upload_bytes(),
        grace=current.replaced_media_grace(),
    )
    saved = episode_or_404(episode_id)
    warnings = publishing.numbering_warnings(db.session, saved)
    return jsonify({**episode_json(saved), "warnings": warnings})


@bp.post(f"/episodes/<{ID_RULE}:episode_id>/normalize")
def normalize_episode(episode_id: int) -> Response:
    """Level and encode the episode's audio again (from its master, or its upload): 202 with
    the episode and the job; the published file is replaced when the job is done."""
    episode = episode_or_404(episode_id)
    read_body("EpisodeNormalize")
    job = reprocess(db.session, episode, user_id=g.api_user.id)
    response = jsonify({**episode_json(episode_or_404(episode_id)), "job": job_json(job)})
    response.status_code = 202
    return response


@bp.delete(f"/episodes/<{ID_RULE}:episode_id>")
def delete_episode(episode_id: int) -> Response:
    """Delete the episode and its files."""
    publishing.delete_episode(db.session, current.storage(), episode_or_404(episode_id))
    return no_content()
