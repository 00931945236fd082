"""API route for imports (admins only): POST a feed URL, get 202 and the job that imports it."""

from __future__ import annotations

from flask import Response, g, jsonify, url_for

from podcast.errors import ForbiddenError
from podcast.extensions import db
from podcast.imports.start import start_import
from podcast.views.api.base import bp
from podcast.views.api.serializers import job_json
from podcast.views.api.validation import read_body


@bp.post("/imports")
def create_import() -> Response:
    """Import (or sync) a show from its feed as a job: 202 with the job, which /jobs/<id>
    follows; `show` names the show to import into (left out: a new one, or the show an earlier
    import of this feed made)."""
    if not g.api_user.is_admin:
        raise ForbiddenError("Only admins import shows.")
    body = read_body("ImportCreate")
    _, job = start_import(
        db.session,
        url=body.fields["url"],
        handle=body.fields.get("show") or "",
        user=g.api_user,
        override_email=body.fields.get("override_email") or "",
    )
    response = jsonify(job_json(job))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_job", job_id=job.id, _external=True)
    return response
