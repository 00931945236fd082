"""The `podcast import-feed` command: preview (--dry-run) or run an import here and now."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from podcast.errors import PodcastError


@click.command("import-feed")
@click.argument("url")
@click.option("--show", "handle", default="", help="The show to import into (HANDLE).")
@click.option("--dry-run", is_flag=True, help="Print what would be imported; change nothing.")
@click.option(
    "--override-lock", "override_email", default="",
    help="Import a locked feed anyway: give the owner email the feed declares.",
)  # fmt: skip
@with_appcontext
def import_feed_command(url: str, handle: str, dry_run: bool, override_email: str) -> None:
    """Import a show from its feed at URL (again: sync what is new or changed)."""
    from podcast import current
    from podcast.extensions import db
    from podcast.imports.apply import run_import
    from podcast.imports.fetcher import default_fetcher
    from podcast.imports.job import options
    from podcast.imports.records import FeedImport
    from podcast.imports.start import check_url, preview_import, target_show
    from podcast.services.shows import COMMAND_LINE

    try:
        if dry_run:
            preview = preview_import(
                db.session, url=url, handle=handle, fetcher=default_fetcher(), options=options()
            )
            for line in preview.lines():
                click.echo(line)
            return
        show = target_show(db.session, handle)
        feed_import = FeedImport(
            source_url=check_url(url), show_id=show.id if show else None,
            locked_override_email=override_email,
        )  # fmt: skip
        db.session.add(feed_import)
        db.session.commit()

        def progress(percent: float, message: str) -> None:
            click.echo(f"[{int(percent):3d}%] {message}", err=True)

        report = run_import(
            db.session, current.storage(), feed_import, fetcher=default_fetcher(),
            options=options(), handle=handle or None, actor=COMMAND_LINE, progress=progress,
        )  # fmt: skip
    except PodcastError as exc:
        db.session.rollback()
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    for line in report.as_json()["lines"]:
        click.echo(line)
    if report.failed:
        sys.exit(1)
