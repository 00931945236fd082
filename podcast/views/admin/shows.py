"""Admin: the network's shows (list), archiving and bringing back, deleting an empty show."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for

from podcast import current
from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.i18n import gettext, translate
from podcast.services import queries
from podcast.services.shows import archive_show, delete_show
from podcast.views.admin.common import admin_required, bp, my_show_ids, show_or_404
from podcast.views.admin.forms import ActionForm
from podcast.views.urls import show_feed_url


@bp.get("/shows")
def shows() -> Any:
    """The shows the user may act on (admins: every show) with handle, language, episode
    count and whether each is archived."""
    rows = queries.shows_with_episode_counts(db.session, my_show_ids())
    return render_template(
        "admin/shows.html",
        rows=rows,
        feeds={show.id: show_feed_url(show.handle) for show, _ in rows},
        action_form=ActionForm(),
        show=current.show(),
    )


@bp.post("/shows/<handle>/archive")
@admin_required
def show_archive(handle: str) -> Any:
    """Archive a show: it takes no new episodes, its feed stays up marked complete."""
    show = archive_show(db.session, show_or_404(handle), True)
    flash(
        gettext(
            "Archived %(title)s: it takes no new episodes, and its feed tells podcast apps it "
            "is complete.",
            title=show.title,
        )
    )
    return redirect(url_for("admin.show_edit", handle=handle))


@bp.post("/shows/<handle>/unarchive")
@admin_required
def show_unarchive(handle: str) -> Any:
    """Bring an archived show back: it takes new episodes again."""
    show = archive_show(db.session, show_or_404(handle), False)
    flash(
        gettext("%(title)s is no longer archived: it takes new episodes again.", title=show.title)
    )
    return redirect(url_for("admin.show_edit", handle=handle))


@bp.post("/shows/<handle>/delete")
@admin_required
def show_delete(handle: str) -> Any:
    """Delete a show without episodes; its handle is never given again."""
    show = show_or_404(handle)
    try:
        delete_show(db.session, current.storage(), show, current.show())
    except PodcastError as exc:
        db.session.rollback()
        flash(translate(exc.message), "error")
        return redirect(url_for("admin.show_edit", handle=handle))
    flash(
        gettext(
            "Deleted the show %(handle)s; its handle will not be given to another show.",
            handle=handle,
        )
    )
    return redirect(url_for("admin.shows"))
