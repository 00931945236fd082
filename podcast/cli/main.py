"""The `podcast` console script: a FlaskGroup over create_app with one-sentence failures."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from podcast.errors import PodcastError


def _create_app() -> Flask:
    from podcast import create_app
    from podcast.errors import ConfigError

    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(2)


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _database_problem(ctx: click.Context, exc: Exception) -> str:
    """One sentence on a database that cannot be used, naming the setting (password hidden)."""
    from sqlalchemy.engine import make_url

    try:
        app = ctx.ensure_object(ScriptInfo).load_app()
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - the sentence is still useful without the URL
        url = "the configured database"
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if "no such table" in reason or ("relation" in reason and "does not exist" in reason):
        return f"The database {url} has no tables yet; run `podcast db upgrade` first."
    return (
        f"Cannot use the database {url} (PODCAST_DATABASE_URL): {reason}. "
        "Check that it is running and that the URL is right."
    )


class PodcastGroup(FlaskGroup):
    """FlaskGroup that turns an unusable database or a service error into one sentence."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; a database or service failure exits 1 with one sentence."""
        try:
            return super().invoke(ctx)
        except DBAPIError as exc:
            if not isinstance(exc, OperationalError | ProgrammingError):
                raise
            _fail(_database_problem(ctx, exc))
        except PodcastError as exc:
            _fail(exc.message)


@click.group(cls=PodcastGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Manage the podcast service: run, db upgrade, load-episodes, create-user, check, ..."""
