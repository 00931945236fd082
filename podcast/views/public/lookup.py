"""The show a public page belongs to, found once per request and remembered in g.page_show
(the page's language and links follow it)."""

from __future__ import annotations

from flask import abort, g

from podcast import current
from podcast.extensions import db
from podcast.i18n import lazy_gettext
from podcast.models import Show
from podcast.services import queries

NO_SHOW = lazy_gettext("There is no show at this address.")


def show_or_404(handle: str) -> Show:
    """The show with this handle (404 when there is none), remembered as the page's show."""
    primary = current.show()
    show = primary if primary is not None and primary.handle == handle else None
    if show is None:
        show = queries.show_by_handle(db.session, handle)
    if show is None:
        abort(404, description=str(NO_SHOW))
    g.page_show = show
    return show


def primary_or_404() -> Show:
    """The primary show (404 before any show exists), remembered as the page's show."""
    show = current.show()
    if show is None:
        abort(404, description=str(NO_SHOW))
    g.page_show = show
    return show
