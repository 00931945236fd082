"""Admin: import a show from its existing feed (admins only): the URL, a preview, then the job."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.i18n import gettext
from podcast.imports import fetcher
from podcast.imports.job import options
from podcast.imports.start import preview_import, start_import
from podcast.views.admin.common import (
    admin_required,
    apply_errors,
    bp,
    rerenders_on_stale_form,
    should_process,
    stale_form,
)
from podcast.views.admin.forms import ImportForm


@bp.route("/import", methods=["GET", "POST"])
@admin_required
@rerenders_on_stale_form
def import_feed() -> Any:
    """Step 1: the feed URL; step 2 (Preview): what will be imported; step 3 (Import): the job
    starts and the jobs page shows its progress."""
    from flask_login import current_user

    form = ImportForm()
    preview, error, status = None, None, 200
    step = request.form.get("step", "preview")
    if stale_form():
        error = gettext("Your session expired; check and submit again.")
    elif should_process(form):
        try:
            if step == "start":
                _, job = start_import(
                    db.session, url=form.url.data or "", handle=form.show.data or "",
                    user=current_user, override_email=form.override_email.data or "",
                )  # fmt: skip
                flash(gettext("The import started; its progress is shown below."))
                return redirect(url_for("admin.jobs"))
            preview = preview_import(
                db.session, url=form.url.data or "", handle=form.show.data or "",
                fetcher=fetcher.default_fetcher(), options=options(),
            )  # fmt: skip
        except PodcastError as exc:
            db.session.rollback()
            error = apply_errors(form, exc) or gettext("Please correct the field marked below.")
            status = exc.status
    return render_template("admin/import.html", form=form, preview=preview, error=error), status
