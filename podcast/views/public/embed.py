"""The embeddable player (a small page other sites frame) and oEmbed 1.0 for episode pages.

The player sets its own Content-Security-Policy, whose frame-ancestors are the show's
embed_origins (any site when empty); it writes no cookie and sends no X-Frame-Options
(views.security.FRAMEABLE_ENDPOINTS).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from podcast.extensions import db
from podcast.models import Episode, Show
from podcast.services import queries
from podcast.services.embeds import frame_ancestors
from podcast.views.public import presenters
from podcast.views.public.lookup import primary_or_404, show_or_404
from podcast.views.public.pages import NOT_PUBLISHED, public_caching
from podcast.views.security import content_security_policy
from podcast.views.urls import home_url

bp = Blueprint("embed", __name__)
bp.after_request(public_caching)

# oEmbed's width when the consumer gives no maxwidth (the page's embed code says 100%).
OEMBED_WIDTH = 640
OEMBED_CACHE_AGE = 3600
# The page addresses an oEmbed url= may name: an episode page, at its address or the primary
# show's older one.
_EPISODE_ENDPOINTS = {"public.show_episode", "public.episode"}


@bp.route("/shows/<handle>/episodes/<slug>/embed")
def player(handle: str, slug: str) -> Response:
    """The episode's player, title, show, artwork and chapters, for an iframe on another site."""
    show = show_or_404(handle)
    item = queries.episode_page(db.session, slug, show.id)
    if item is None or item.audio is None:
        abort(404, description=str(NOT_PUBLISHED))
    response = make_response(
        render_template(
            "public/embed.html",
            show=show,
            episode=item,
            artwork=presenters.artwork_url(show, item, on_page=True),
        )
    )
    response.headers["Content-Security-Policy"] = content_security_policy(
        frame_ancestors(show.embed_origins)
    )
    return response


@bp.route("/episodes/<slug>/embed")
def primary_player(slug: str) -> ResponseReturnValue:
    """The primary show's player at the older address style: moved for good."""
    show = primary_or_404()
    return redirect(url_for("embed.player", handle=show.handle, slug=slug), 301)


def _positive(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 5 or int(raw) < 1:
        abort(400, description=f"{name} must be a whole number of pixels.")
    return int(raw)


def _episode_at(url: str) -> tuple[Show, Episode]:
    """The public episode whose page is at `url` on this site; 404 for any other URL."""
    site, given = urlsplit(current_app.config["PODCAST_SITE_URL"]), urlsplit(url)
    if (given.scheme.lower(), given.netloc.lower()) != (site.scheme, site.netloc.lower()):
        abort(404)
    path = given.path
    if site.path:
        if not path.startswith(site.path + "/"):
            abort(404)
        path = path[len(site.path) :]
    try:
        endpoint, args = current_app.url_map.bind("").match(path, method="GET")
    except HTTPException:  # no route, or one that redirects: not an episode page
        abort(404)
    if endpoint not in _EPISODE_ENDPOINTS:
        abort(404)
    show = show_or_404(args["handle"]) if "handle" in args else primary_or_404()
    item = queries.episode_page(db.session, args["slug"], show.id)
    if item is None or item.audio is None:
        abort(404)
    return show, item


@bp.route("/oembed")
def oembed() -> Response:
    """oEmbed 1.0 (JSON) for an episode page: its player as a "rich" iframe."""
    fmt = request.args.get("format", "json").strip().lower() or "json"
    if fmt != "json":
        abort(501, description="Only format=json is answered.")
    url = request.args.get("url", "").strip()
    if not url:
        abort(400, description="Give the episode page's address as url=.")
    max_width, max_height = _positive("maxwidth"), _positive("maxheight")
    show, item = _episode_at(url)
    width = min(OEMBED_WIDTH, max_width or OEMBED_WIDTH)
    natural = presenters.embed_height(item)
    height = min(natural, max_height or natural)
    body: dict[str, Any] = {
        "type": "rich",
        "version": "1.0",
        "title": item.title,
        "provider_name": show.title,
        "provider_url": home_url(show),
        "html": presenters.embed_code(show, item, width, height),
        "width": width,
        "height": height,
        "cache_age": OEMBED_CACHE_AGE,
    }
    if show.author:
        body["author_name"] = show.author
        body["author_url"] = home_url(show)
    image = item.image if item.image is not None else show.artwork
    thumbnail = presenters.artwork_url(show, item)
    if thumbnail and image is not None and image.width and image.height:
        body["thumbnail_url"] = thumbnail
        body["thumbnail_width"] = image.width
        body["thumbnail_height"] = image.height
    response = jsonify(body)
    # Public and without credentials: a consumer's page script may read it too.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
