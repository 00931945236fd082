"""The service's own `podcast` subcommands, registered on the app's CLI by create_app."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from podcast import current
from podcast.errors import PodcastError
from podcast.models import Role


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@click.command("inspect")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def inspect_command(files: tuple[str, ...]) -> None:
    """Print what each audio file really holds, one JSON object per line."""
    from podcast.audio import inspect as audio

    failed = False
    for name in files:
        try:
            info = audio.inspect(name)
            line = {"file": name, **info.to_json()}
        except FileNotFoundError:
            failed, line = True, {"file": name, "ok": False, "error": "No such file."}
        except PodcastError as exc:
            failed, line = True, {"file": name, "ok": False, "error": exc.message}
        click.echo(json.dumps(line, ensure_ascii=False))
    sys.exit(1 if failed else 0)


@click.command("load-episodes")
@click.argument("directory", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has a show.")
@with_appcontext
def load_episodes_command(directory: str | None, if_empty: bool) -> None:
    """Load the show, guests and episodes from DIR (default: episodes/); safe to run twice."""
    from podcast.config import PROJECT_ROOT
    from podcast.extensions import db
    from podcast.services.queries import primary_show
    from podcast.services.seed import load_folder
    from podcast.views.urls import feed_url, show_feed_url

    if if_empty and primary_show(db.session) is not None:
        click.echo("The database already has a show; nothing loaded.")
        return
    root = Path(directory) if directory else PROJECT_ROOT / "episodes"
    with current_app.test_request_context():
        report = load_folder(
            db.session, current.storage(), root, feed_url(),
            show_feed_url,
        )  # fmt: skip
    for line in report.added:
        click.echo(f"added {line}")
    for line in report.skipped:
        click.echo(f"skipped {line}")
    for line in report.errors:
        click.echo(f"error: {line}", err=True)
    click.echo(
        f"{len(report.added)} added, {len(report.skipped)} unchanged, {len(report.errors)} failed"
    )
    if report.errors:
        sys.exit(1)


@click.command("create-user")
@click.argument("email")
@click.option("--password", help="Prompted for (hidden) when not given.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default="producer",
    show_default=True,
)
@with_appcontext
def create_user_command(email: str, password: str | None, role: str) -> None:
    """Create a login for a producer or an admin."""
    from podcast.extensions import db
    from podcast.services.accounts import create_user

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(db.session, email, password, role, passwords=current.passwords())
    except PodcastError as exc:
        _fail(exc.message)
    click.echo(f"Created {user.role.value} {user.email}.")


@click.command("set-password")
@click.argument("email")
@click.option("--password", help="Prompted for (hidden) when not given.")
@with_appcontext
def set_password_command(email: str, password: str | None) -> None:
    """Give an account a new password; every session it has ends."""
    from podcast.extensions import db
    from podcast.services.accounts import set_password, user_by_email

    try:
        user = user_by_email(db.session, email)
        if password is None:
            password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
        set_password(db.session, user, password, passwords=current.passwords())
    except PodcastError as exc:
        _fail(exc.message)
    click.echo(f"New password set for {user.email}; every session of the account has ended.")


@click.command("create-token")
@click.argument("email")
@click.option("--label", default="", help="A note to recognise the token by.")
@click.option("--expires-in", type=int, metavar="DAYS", help="Refused after this many days.")
@with_appcontext
def create_token_command(email: str, label: str, expires_in: int | None) -> None:
    """Print a new API token for the user (shown once; only its hash is stored)."""
    from podcast.extensions import db
    from podcast.services.accounts import create_token, user_by_email

    try:
        user = user_by_email(db.session, email)
        token = create_token(db.session, user, label, expires_in_days=expires_in)
    except PodcastError as exc:
        _fail(exc.message)
    click.echo("API token (store it now; it is not shown again):", err=True)
    click.echo(token)


@click.command("list-tokens")
@click.argument("email")
@with_appcontext
def list_tokens_command(email: str) -> None:
    """List an account's API tokens: id, state, created, last used, expires, label."""
    from podcast.extensions import db
    from podcast.services import queries
    from podcast.services.accounts import TIME_FORMAT, token_state, user_by_email

    try:
        user = user_by_email(db.session, email)
    except PodcastError as exc:
        _fail(exc.message)
    rows = queries.api_tokens(user.id)
    if not rows:
        click.echo(f"{user.email} has no API tokens.")
        return

    def when(moment: datetime | None, never: str = "never") -> str:
        return moment.strftime(TIME_FORMAT) if moment else never

    click.echo("id\tstate\tcreated\tlast used\texpires\tlabel")
    for row in rows:
        fields = (
            str(row.id), token_state(row), when(row.created_at), when(row.last_used_at),
            when(row.expires_at), row.label,
        )  # fmt: skip
        click.echo("\t".join(fields))


@click.command("revoke-token")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_token_command(token_id: int) -> None:
    """Revoke an API token by its id (from list-tokens): refused from the next request on."""
    from podcast.extensions import db
    from podcast.services.accounts import revoke_token

    try:
        row = revoke_token(db.session, token_id, acting=None)
    except PodcastError as exc:
        _fail(exc.message)
    click.echo(f"Token {row.id} of {row.user.email} is revoked.")


@click.command("check")
@click.option("--fix", is_flag=True, help="Remove orphan objects and stale uploads it finds.")
@click.option(
    "--older-than", default=3600, show_default=True,
    help="Only objects older than this many seconds are orphans (uploads in flight are young).",
)  # fmt: skip
@with_appcontext
def check_command(fix: bool, older_than: int) -> None:
    """List objects without rows and rows without objects; --fix removes the orphans."""
    from podcast.extensions import db
    from podcast.services.maintenance import check_storage

    try:
        result = check_storage(db.session, current.storage(), fix=fix, older_than=older_than)
    except PodcastError as exc:
        _fail(exc.message, 2)
    for line in result.lines():
        click.echo(line)
    sys.exit(1 if result.problems and not fix else 0)


def register_commands(app: Flask) -> None:
    """Attach the subcommands to the app's CLI group (`flask` and `podcast` alike)."""
    for command in (
        inspect_command, load_episodes_command, create_user_command, set_password_command,
        create_token_command, list_tokens_command, revoke_token_command, check_command,
    ):  # fmt: skip
        app.cli.add_command(command)
