"""`podcast analytics ...`: count what is pending now, ingest CDN and bucket logs, purge."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from podcast import current
from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.models import utcnow


@click.group("analytics")
def analytics_group() -> None:
    """Download counts: process pending hits, ingest logs, purge old raw data."""


@analytics_group.command("process")
@with_appcontext
def process_command() -> None:
    """Write this process's buffered hits and count everything pending, now."""
    from podcast.analytics import record, rollup

    record.recorder().flush()
    report = rollup.process(db.session, utcnow())
    click.echo(
        f"{report.hits} hits processed, {report.downloads} downloads counted"
        + (f", {report.orphaned} hits of deleted episodes dropped" if report.orphaned else "")
        + "."
    )


@analytics_group.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete raw hits older than PODCAST_ANALYTICS_RETENTION_DAYS and past days' keys."""
    from podcast.analytics import rollup

    days = int(current_app.config["PODCAST_ANALYTICS_RETENTION_DAYS"])
    report = rollup.purge(db.session, utcnow(), days)
    click.echo(f"{report.hits} raw hits older than {days} days and {report.keys} keys deleted.")


@analytics_group.command("ingest")
@click.argument("source")
@click.option(
    "--format", "fmt", required=True, type=click.Choice(["s3", "cloudfront", "combined"]),
    help="The log format: S3 server access logs, CloudFront standard logs, combined logs.",
)  # fmt: skip
@with_appcontext
def ingest_command(source: str, fmt: str) -> None:
    """Count the media downloads in FILE (or every log under s3://bucket/prefix), incrementally."""
    from podcast.analytics import ingest, rollup

    try:
        report = ingest.ingest(
            db.session, source, fmt, storage=current.storage(),
            endpoint_url=current.settings().S3_ENDPOINT_URL,
        )  # fmt: skip
    except PodcastError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    counted = rollup.process(db.session, utcnow())
    for line in report.lines():
        click.echo(line)
    click.echo(f"{counted.downloads} downloads counted.")
