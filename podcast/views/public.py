"""Pages for listeners: the episode list, episode and guest pages."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from podcast import queries
from podcast.extensions import db
from podcast.models import EpisodeGuest

bp = Blueprint("public", __name__)


@bp.route("/")
def index() -> str:
    """The show and its published episodes, newest first."""
    show = queries.get_show()
    episodes = db.session.scalars(queries.public_episodes()).all()
    return render_template("public/index.html", show=show, episodes=episodes)


@bp.route("/episodes/<slug>")
def episode(slug: str) -> str:
    """One episode: notes, player and guests."""
    item = queries.public_episode(slug)
    if item is None:
        abort(404)
    return render_template("public/episode.html", show=queries.get_show(), episode=item)


@bp.route("/guests/<slug>")
def guest(slug: str) -> str:
    """A guest's bio and episodes."""
    person = queries.public_guest(slug)
    if person is None:
        abort(404)
    episodes = db.session.scalars(
        queries.public_episodes().where(
            queries.Episode.appearances.any(EpisodeGuest.guest_id == person.id)
        )
    ).all()
    return render_template(
        "public/guest.html", show=queries.get_show(), guest=person, episodes=episodes
    )
