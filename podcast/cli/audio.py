"""The `podcast reprocess` command: level and encode episodes again from their masters."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from podcast.errors import PodcastError


@click.command("reprocess")
@click.argument("episode_ids", nargs=-1, type=int)
@click.option("--show", "handle", help="Every episode of this show (by handle).")
@with_appcontext
def reprocess_command(episode_ids: tuple[int, ...], handle: str | None) -> None:
    """Queue a job that levels and encodes the episode again from its master, with the show's
    current settings; the new MP3 gets a new key and replaces the published one when done."""
    from sqlalchemy import select

    from podcast.extensions import db
    from podcast.models import Episode, Show
    from podcast.services.processing_run import reprocess, reprocess_show

    if not episode_ids and not handle:
        click.echo("Error: give EPISODE_ID... or --show HANDLE.", err=True)
        sys.exit(2)
    jobs = []
    try:
        if handle:
            show = db.session.scalar(select(Show).where(Show.handle == handle))
            if show is None:
                click.echo(f"Error: no show has the handle {handle!r}.", err=True)
                sys.exit(1)
            jobs += reprocess_show(db.session, show)
        for episode_id in episode_ids:
            episode = db.session.get(Episode, episode_id)
            if episode is None:
                click.echo(f"Error: no episode has the id {episode_id}.", err=True)
                sys.exit(1)
            jobs.append(reprocess(db.session, episode))
    except PodcastError as exc:
        db.session.rollback()
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    for job in jobs:
        click.echo(f"job {job.id}: episode {job.payload['episode_id']} ({job.state.value})")
    click.echo(f"{len(jobs)} episode(s) queued for processing; `podcast worker` runs them.")
