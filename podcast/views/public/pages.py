"""Pages for listeners: the episode list, episode and guest pages, sitemap and robots.txt."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from podcast import current
from podcast.extensions import db
from podcast.models import utcnow
from podcast.services import queries
from podcast.views.public import presenters
from podcast.views.urls import absolute

bp = Blueprint("public", __name__)

NOT_PUBLISHED = "There is no published episode at this address. It may not be out yet."


@bp.after_request
def _public_caching(response: Response) -> Response:
    # Nothing on these pages depends on who asks, so shared caches may keep them briefly;
    # never past the moment a scheduled episode becomes public.
    if response.status_code == 200 and "Cache-Control" not in response.headers:
        max_age = 60
        due = queries.next_scheduled_at()  # any show's: a page may list several
        if due is not None:
            max_age = max(0, min(max_age, int((due - utcnow()).total_seconds())))
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@bp.route("/")
def index() -> str:
    """The show, its subscribe links and its public episodes, newest first, 20 a page."""
    number = presenters.page_number(request.args.get("page"))
    if number is None:
        abort(404, description="There is no such page of episodes.")
    query = presenters.search_terms(request.args.get("q"))
    show = current.show()
    page = queries.episode_listing(db.session, query, number, show_id=show.id if show else -1)
    if number > 1 and not page.items:
        abort(404, description="There is no such page of episodes.")
    return render_template(
        "public/index.html",
        show=show,
        page=page,
        query=query,
        page_args={"q": query} if query else {},
        series=presenters.series_data(show) if show else None,
    )


@bp.route("/episodes/<slug>")
def episode(slug: str) -> str:
    """One episode: player, chapters, notes, guests, transcript, and its neighbours."""
    show = current.show()
    item = queries.episode_page(db.session, slug, show.id) if show is not None else None
    if item is None or show is None:
        abort(404, description=NOT_PUBLISHED)
    cues = presenters.transcript_cues(item.transcript)
    previous, following = queries.neighbours(db.session, item)
    return render_template(
        "public/episode.html",
        show=show,
        episode=item,
        transcript=presenters.paragraphs(cues) if cues else None,
        previous=previous,
        following=following,
        structured=presenters.episode_data(show, item),
    )


@bp.route("/guests/<slug>")
def guest(slug: str) -> str:
    """A guest's photo, bio, links and the published episodes they speak on."""
    found = queries.guest_page(db.session, slug)
    if found is None:
        abort(404, description="There is no guest page at this address.")
    person, episodes = found
    return render_template(
        "public/guest.html", show=current.show(), guest=person, episodes=episodes
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
