"""API routes for background jobs: list (newest first, by show and state) and get one."""

from __future__ import annotations

from flask import Response, jsonify, request

from podcast.errors import NotFoundError, ValidationError
from podcast.extensions import db
from podcast.jobs.records import Job
from podcast.services import queries
from podcast.views.api.base import ID_RULE, bp, known_id, page_arguments, page_response
from podcast.views.api.schemas import JOB_STATES, MAX_ID
from podcast.views.api.serializers import job_json


def _filters() -> tuple[int | None, str | None]:
    """?show= (a show id) and ?state= (one of the job states), checked."""
    errors: dict[str, str] = {}
    show_id, state = None, request.args.get("state")
    if "show" in request.args:
        try:
            show_id = int(request.args["show"])
            if not 1 <= show_id <= MAX_ID:
                raise ValueError
        except ValueError:
            errors["show"] = "Give a show id (a whole number)."
    if state is not None and state not in JOB_STATES:
        errors["state"] = f"Give one of: {', '.join(JOB_STATES)}."
    if errors:
        raise ValidationError(f"Please correct: {', '.join(sorted(errors))}.", fields=errors)
    return show_id, state


@bp.get("/jobs")
def list_jobs() -> Response:
    """Jobs, newest first; ?show=, ?state=, ?limit= and ?cursor=."""
    limit, cursor = page_arguments()
    show_id, state = _filters()
    rows = queries.jobs_page(db.session, show_id=show_id, state=state, before=cursor, limit=limit)
    return page_response(rows, limit, job_json, "api.list_jobs", show=show_id, state=state)


@bp.get(f"/jobs/<{ID_RULE}:job_id>")
def get_job(job_id: int) -> Response:
    """One job: its state, progress, message and result."""
    job: Job | None = queries.get_job(db.session, job_id) if known_id(job_id) else None
    if job is None:
        raise NotFoundError(f"There is no job {job_id}.")
    return jsonify(job_json(job))
