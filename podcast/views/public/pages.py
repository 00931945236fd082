"""Pages for listeners: the episode list, episode and guest pages, sitemap and robots.txt."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from podcast import current
from podcast.audio import waveform
from podcast.extensions import db
from podcast.i18n import gettext, lazy_gettext
from podcast.models import Episode, Show, utcnow
from podcast.services import queries
from podcast.views.public import presenters
from podcast.views.public.lookup import primary_or_404, show_or_404
from podcast.views.urls import absolute, show_handles

bp = Blueprint("public", __name__)

NOT_PUBLISHED = lazy_gettext(
    "There is no published episode at this address. It may not be out yet."
)
NO_SUCH_PAGE = lazy_gettext("There is no such page of episodes.")


@bp.after_request
def public_caching(response: Response) -> Response:
    """Shared caches may keep a listener page briefly, never past the moment a scheduled
    episode becomes public (nothing on these pages depends on who asks)."""
    if response.status_code == 200 and "Cache-Control" not in response.headers:
        max_age = 60
        due = queries.next_scheduled_at()  # any show's: a page may list several
        if due is not None:
            max_age = max(0, min(max_age, int((due - utcnow()).total_seconds())))
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@bp.route("/")
def index() -> str:
    """With one show, its home; with several, the network: every show with its newest episode
    (a search looks through every show)."""
    primary = current.show()
    if primary is None or len(show_handles()) <= 1:
        return _show_home(primary)
    shows = queries.network(db.session)
    query = presenters.search_terms(request.args.get("q"))
    number = presenters.page_number(request.args.get("page"))
    if number is None:
        abort(404, description=str(NO_SUCH_PAGE))
    page = queries.episode_listing(db.session, query, number) if query else None
    if page is not None and number > 1 and not page.items:
        abort(404, description=str(NO_SUCH_PAGE))
    g.page_show = primary
    return render_template(
        "public/network.html", shows=shows, show=primary, query=query, page=page,
        shows_by_id={show.id: show for show, _ in shows},
        page_args={"q": query} if query else {},
    )  # fmt: skip


@bp.route("/shows/<handle>/")
def show_home(handle: str) -> str:
    """A show, its subscribe links and its public episodes, newest first, 20 a page."""
    return _show_home(show_or_404(handle))


def _show_home(show: Show | None) -> str:
    number = presenters.page_number(request.args.get("page"))
    if number is None:
        abort(404, description=str(NO_SUCH_PAGE))
    query = presenters.search_terms(request.args.get("q"))
    page = queries.episode_listing(db.session, query, number, show_id=show.id if show else -1)
    if number > 1 and not page.items:
        abort(404, description=str(NO_SUCH_PAGE))
    if show is not None:
        g.page_show = show
    return render_template(
        "public/index.html",
        show=show,
        page=page,
        query=query,
        page_args={"q": query} if query else {},
        series=presenters.series_data(show) if show else None,
    )


@bp.route("/episodes/<slug>")
def episode(slug: str) -> ResponseReturnValue:
    """The primary show's episode at its address from before several shows: moved for good."""
    show = primary_or_404()
    return redirect(url_for("public.show_episode", handle=show.handle, slug=slug), 301)


@bp.route("/shows/<handle>/episodes/<slug>")
def show_episode(handle: str, slug: str) -> str:
    """One episode: player, chapters, notes, guests, transcript, and its neighbours."""
    show = show_or_404(handle)
    item = queries.episode_page(db.session, slug, show.id)
    if item is None:
        abort(404, description=str(NOT_PUBLISHED))
    previous, following = queries.neighbours(db.session, item)
    return render_episode_page(
        show, item,
        previous=previous,
        following=following,
        embed_code=presenters.embed_code(show, item),
        oembed_href=presenters.oembed_url(item),
    )  # fmt: skip


def render_episode_page(show: Show, item: Episode, **context: Any) -> str:
    """The episode page of `item` (its transcript, structured data), with `context` beside."""
    cues = presenters.transcript_cues(item.transcript)
    return render_template(
        "public/episode.html",
        show=show,
        episode=item,
        transcript=presenters.paragraphs(cues) if cues else None,
        structured=presenters.episode_data(show, item),
        wave=waveform.drawing(item.audio.waveform) if item.audio else None,
        **context,
    )


@bp.route("/guests/<slug>")
def guest(slug: str) -> str:
    """A guest's photo, bio, links and the published episodes they speak on."""
    found = queries.guest_page(db.session, slug)
    if found is None:
        abort(404, description=gettext("There is no guest page at this address."))
    person, episodes = found
    return render_template(
        "public/guest.html",
        show=current.show(),
        shows=queries.shows_by_id(db.session),
        guest=person,
        episodes=episodes,
    )


@bp.route("/sitemap.xml")
def sitemap() -> Response:
    """Every public page, for search engines."""
    body = render_template("public/sitemap.xml", entries=presenters.sitemap_entries())
    return Response(body, mimetype="application/xml")


@bp.route("/robots.txt")
def robots() -> Response:
    """Crawl the public pages, not the producers' side; here is the sitemap."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /login",
        f"Sitemap: {absolute('public.sitemap')}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
