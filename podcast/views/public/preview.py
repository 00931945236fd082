"""The preview of an unpublished episode: its public page, opened by a signed link that a
producer sends to an editor, never indexed, never kept by a shared cache."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, g, make_response

from podcast.errors import NotFoundError
from podcast.extensions import db
from podcast.i18n import lazy_gettext
from podcast.services import queries
from podcast.services.previews import PreviewExpiredError, previewed_episode_id
from podcast.views.public.pages import render_episode_page

bp = Blueprint("preview", __name__)

NO_PREVIEW = lazy_gettext("There is no preview at this address.")
EXPIRED = lazy_gettext("This preview link has expired. Ask the producer for a new one.")


@bp.route("/preview/<token>")
def episode(token: str) -> Response:
    """The episode's page as it will look once public, with a banner saying it is a preview."""
    try:
        episode_id = previewed_episode_id(current_app.config["SECRET_KEY"], token)
    except PreviewExpiredError:
        abort(410, description=str(EXPIRED))
    except NotFoundError:
        abort(404, description=str(NO_PREVIEW))
    item = queries.preview_episode(db.session, episode_id)
    if item is None:
        abort(404, description=str(NO_PREVIEW))
    show = item.show
    g.page_show = show
    page = render_episode_page(show, item, previous=None, following=None, preview=True)
    response = make_response(page)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "private, no-store"
    return response
