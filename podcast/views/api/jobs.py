"""API routes for background jobs: list (newest first, by show and state) and get one."""

from __future__ import annotations

from flask import Response, jsonify, request

from podcast.errors import NotFoundError, ValidationError
from podcast.extensions import db
from podcast.jobs.records import Job
from podcast.services import access, queries
from podcast.services.handles import HANDLE_SHAPE
from podcast.views.api.base import (
    ID_RULE,
    bp,
    known_id,
    my_show_ids,
    page_arguments,
    page_response,
    show_by_handle,
)
from podcast.views.api.schemas import JOB_STATES, MAX_ID
from podcast.views.api.serializers import job_json


def _filters() -> tuple[int | None, str | None]:
    """?show= (a show's handle, or its id) and ?state= (one of the job states), checked; a show
    the caller may not act on is not found."""
    errors: dict[str, str] = {}
    show_id, state = None, request.args.get("state")
    if "show" in request.args:
        given = request.args["show"]
        if given.isascii() and given.isdigit() and 1 <= int(given) <= MAX_ID:
            show_id = int(given)
            if not access.may_act_on(my_show_ids(), show_id):
                raise NotFoundError(f"There is no show {given}.")
        elif given.isdigit() or not HANDLE_SHAPE.match(given):
            errors["show"] = "Give a show's handle (or its id)."
        else:
            show_id = show_by_handle(given).id
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
    rows = queries.jobs_page(
        db.session,
        show_id=show_id,
        state=state,
        before=cursor,
        limit=limit,
        show_ids=my_show_ids(),
    )
    show = request.args.get("show")
    return page_response(rows, limit, job_json, "api.list_jobs", show=show, state=state)


@bp.get(f"/jobs/<{ID_RULE}:job_id>")
def get_job(job_id: int) -> Response:
    """One job: its state, progress, message and result."""
    job: Job | None = None
    if known_id(job_id):
        job = queries.get_job(db.session, job_id, my_show_ids())
    if job is None:
        raise NotFoundError(f"There is no job {job_id}.")
    return jsonify(job_json(job))
