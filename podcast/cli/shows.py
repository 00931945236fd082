"""The `podcast create-show`, `podcast grant` and `podcast revoke` commands."""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext

from podcast.errors import PodcastError
from podcast.models import Role, Show, User


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("create-show")
@click.argument("handle")
@click.option("--title", required=True, help="The show's title.")
@click.option("--language", default="en", show_default=True, help="BCP 47, e.g. ru, uz-Latn.")
@with_appcontext
def create_show_command(handle: str, title: str, language: str) -> None:
    """Create a show with this handle (its address, /shows/HANDLE/); prints its feed URL."""
    from podcast.extensions import db
    from podcast.services.shows import parse_show_input, save_show
    from podcast.views.urls import show_feed_url

    with current_app.test_request_context():
        try:
            data = parse_show_input({"handle": handle, "title": title, "language": language})
            show = save_show(db.session, None, None, data, feed_url_of=show_feed_url)
        except PodcastError as exc:
            problems = " ".join(f"{name}: {text}" for name, text in exc.fields.items())
            _fail(problems or exc.message)
        click.echo(f"Created the show {show.handle} ({show.title}).")
        click.echo(show_feed_url(show.handle))


def _user_and_show(email: str, handle: str) -> tuple[User, Show]:
    from podcast.extensions import db
    from podcast.services import queries
    from podcast.services.accounts import user_by_email

    try:
        user = user_by_email(db.session, email)
    except PodcastError as exc:
        _fail(exc.message)
    show = queries.show_by_handle(db.session, handle.strip().lower())
    if show is None:
        _fail(f"There is no show with the handle {handle!r}.")
    return user, show


@click.command("grant")
@click.argument("email")
@click.argument("handle")
@with_appcontext
def grant_command(email: str, handle: str) -> None:
    """Make the producer EMAIL a member of the show HANDLE (admins act on every show)."""
    from podcast.extensions import db
    from podcast.services.access import grant

    user, show = _user_and_show(email, handle)
    if user.role == Role.ADMIN:
        click.echo(f"{user.email} is an admin: they act on every show already.")
        return
    added = grant(db.session, user, show)
    said = "is now a member of" if added else "was already a member of"
    click.echo(f"{user.email} {said} {show.handle} ({show.title}).")


@click.command("revoke")
@click.argument("email")
@click.argument("handle")
@with_appcontext
def revoke_command(email: str, handle: str) -> None:
    """End the producer EMAIL's membership of the show HANDLE."""
    from podcast.extensions import db
    from podcast.services.access import revoke

    user, show = _user_and_show(email, handle)
    removed = revoke(db.session, user, show)
    said = "is no longer a member of" if removed else "was not a member of"
    click.echo(f"{user.email} {said} {show.handle} ({show.title}).")


COMMANDS = (create_show_command, grant_command, revoke_command)
