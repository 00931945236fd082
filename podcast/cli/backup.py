"""The `podcast export` and `podcast import` commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from podcast import current
from podcast.errors import PodcastError


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--media", is_flag=True, help="Copy the media files too, not only their manifest.")
@click.option("--show", "handle", metavar="HANDLE", help="Only this show (default: every show).")
@with_appcontext
def export_command(directory: str, media: bool, handle: str | None) -> None:
    """Write the shows, guests, episodes, accounts and media manifest to DIRECTORY."""
    from podcast.extensions import db
    from podcast.services import queries
    from podcast.services.backup import export_backup

    show = None
    if handle is not None:
        show = queries.show_by_handle(db.session, handle.strip().lower())
        if show is None:
            click.echo(f"Error: There is no show with the handle {handle!r}.", err=True)
            sys.exit(1)
    try:
        summary = export_backup(
            db.session, current.storage(), Path(directory), media=media, show=show
        )
    except PodcastError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    rows = ", ".join(f"{count} {name}" for name, count in summary.rows.items())
    click.echo(
        f"Exported {rows}; {summary.media_objects} media files ({summary.media_bytes} bytes)."
    )


@click.command("import")
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@with_appcontext
def import_command(directory: str) -> None:
    """Restore an export from DIRECTORY into this (empty) instance."""
    from podcast.extensions import db
    from podcast.services.backup import import_backup

    try:
        summary = import_backup(db.session, current.storage(), Path(directory))
    except PodcastError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    rows = ", ".join(f"{count} {name}" for name, count in summary.rows.items())
    click.echo(f"Imported {rows}; {summary.media_objects} media files restored.")
