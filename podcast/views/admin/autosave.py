"""Admin: the episode form's autosaved draft, kept as the producer types and discarded on request
(the form restores it: views/admin/episodes.py)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.i18n import gettext, translate
from podcast.models import Episode, Show
from podcast.services import autosave
from podcast.views.admin.common import bp, render_json
from podcast.views.admin.episodes import episode_or_404, new_episode_shows
from podcast.views.errors import error_json

# Percent-encoding makes each non-ASCII byte three: a body over this holds a draft too large.
BODY_MAX = 4 * autosave.MAX_BYTES


def _target(episode_id: int | None, handle: str) -> tuple[Episode | None, Show]:
    """The episode (None: a new one) and its show, when the user may act on them; 404 else."""
    if episode_id is not None:
        episode = episode_or_404(episode_id)
        return episode, episode.show
    shows = new_episode_shows()
    show = next((s for s in shows if s.handle == handle), None) if handle else None
    if show is None and not handle and shows:
        show = shows[0]
    if show is None:
        abort(404)  # not one of the user's shows: as if it did not exist
    return None, show


@bp.route("/episodes/new/autosave", methods=["POST"], defaults={"episode_id": None})
@bp.route("/episodes/<int:episode_id>/autosave", methods=["POST"])
def episode_autosave(episode_id: int | None) -> Any:
    """Keep what was typed into the episode form (its script posts here as the producer types
    and when the tab is hidden or closed); JSON."""
    if (request.content_length or 0) > BODY_MAX:  # refused before the body is read
        refusal = autosave.too_large()
        return error_json(refusal.status, refusal.code, translate(refusal.message))
    episode, show = _target(episode_id, request.form.get("show", ""))
    try:
        kept = autosave.save(
            db.session,
            current_user.id,
            show.id,
            episode,
            request.form.to_dict(),
            request.form.get("autosave_base", ""),
        )
    except PodcastError as exc:
        return error_json(exc.status, exc.code, translate(exc.message))
    if not kept:
        message = gettext(
            "The episode was saved after this form was opened: what it holds was not kept as "
            "a draft. Reload the form to edit the saved episode."
        )
        return error_json(409, "stale_form", message)
    return render_json({"saved": True})


@bp.route("/episodes/new/autosave/discard", methods=["POST"], defaults={"episode_id": None})
@bp.route("/episodes/<int:episode_id>/autosave/discard", methods=["POST"])
def episode_autosave_discard(episode_id: int | None) -> Any:
    """Forget the autosaved draft and go back to the form as the episode was saved."""
    handle = request.args.get("show") or request.form.get("show", "")
    episode, show = _target(episode_id, handle)
    autosave.discard(db.session, current_user.id, show.id, episode_id)
    if episode is None:
        flash(gettext("Discarded the draft: the form is empty again."))
        return redirect(url_for("admin.episode_new"))
    flash(gettext("Discarded the draft: the form shows the episode as it was last saved."))
    return redirect(url_for("admin.episode_edit", episode_id=episode.id))
