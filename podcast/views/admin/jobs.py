"""Admin: background jobs, their live progress, Retry for a failed one, Cancel for admins."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from podcast import current
from podcast.analytics import rollup
from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.i18n import gettext, translate
from podcast.jobs import cancel_job, retry_job
from podcast.jobs.records import STATE_WORDS
from podcast.jobs.registry import kind_label
from podcast.services import queries
from podcast.views.admin.common import admin_required, bp, my_show_ids, render_json
from podcast.views.admin.forms import ActionForm
from podcast.views.api.schemas import JOB_STATES
from podcast.views.api.serializers import job_json

PAGE_SIZE = 50


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 2**31 else None


@bp.get("/jobs")
def jobs() -> Any:
    """Jobs of the user's shows newest first, filtered by show (?show=<handle>) and state;
    reloads itself without JavaScript."""
    allowed = my_show_ids()
    shows = queries.shows_by_id(db.session, allowed)
    wanted = request.args.get("show", "")
    chosen = next((s for s in shows.values() if wanted in (s.handle, str(s.id))), None)
    show_id = chosen.id if chosen else None
    before = _int_arg("before")
    state = request.args.get("state") if request.args.get("state") in JOB_STATES else None
    rows = queries.jobs_page(
        db.session,
        show_id=show_id,
        state=state,
        before=before,
        limit=PAGE_SIZE,
        show_ids=allowed,
        routine_kinds=(rollup.ROLLUP_KIND,),  # one a minute while listeners download
    )
    older = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE]
    return render_template(
        "admin/jobs.html",
        jobs=rows,
        shows=shows,
        states=JOB_STATES,
        state_words={state.value: words for state, words in STATE_WORDS.items()},
        show_id=show_id,
        state=state,
        older=older,
        active=any(not job.is_final for job in rows),
        kind_label=kind_label,
        action_form=ActionForm(),
        show=current.show(),
    )


@bp.get("/jobs/<int:job_id>/status")
def job_status(job_id: int) -> Any:
    """The job as GET /api/v1/jobs/<id> shows it, for the page's progress poll (session auth)."""
    job = queries.get_job(db.session, job_id, my_show_ids())
    if job is None:
        abort(404)
    # The API's words stay English; the page reads them in the producer's language.
    error = translate(job.error_sentence) or None
    return render_json(
        {**job_json(job), "message": translate(job.message_sentence), "error": error}
    )


def _back() -> Any:
    return redirect(request.form.get("next") or url_for("admin.jobs"))


@bp.post("/jobs/<int:job_id>/retry")
def job_retry(job_id: int) -> Any:
    """Queue a failed or cancelled job again (a job of one of the user's shows)."""
    if queries.get_job(db.session, job_id, my_show_ids()) is None:
        abort(404)
    try:
        job = retry_job(db.session, job_id)
    except PodcastError as exc:
        db.session.rollback()
        flash(translate(exc.message), "error")
    else:
        flash(
            gettext(
                "%(kind)s (job %(id)s) is queued again.",
                kind=gettext(kind_label(job.kind)),
                id=job.id,
            )
        )
    return _back()


@bp.post("/jobs/<int:job_id>/cancel")
@admin_required
def job_cancel(job_id: int) -> Any:
    """Cancel a queued or running job (admins)."""
    try:
        job = cancel_job(db.session, job_id)
    except PodcastError as exc:
        db.session.rollback()
        flash(translate(exc.message), "error")
    else:
        flash(
            gettext(
                "%(kind)s (job %(id)s) is cancelled.", kind=gettext(kind_label(job.kind)), id=job.id
            )
        )
    return _back()
