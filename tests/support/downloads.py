"""Seeding the download_daily rollup directly, as the counting side's rollup job writes it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from podcast.extensions import db
from podcast.models import DownloadDaily, Episode


def published_on(episode: Episode, day: date, hour: int = 9) -> Episode:
    """Move the episode's publish time to `hour` o'clock UTC on `day`."""
    episode.publish_at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    db.session.commit()
    return episode


def add_downloads(
    episode: Episode,
    day: date,
    downloads: int,
    app: str = "Apple Podcasts",
    country: str = "US",
) -> DownloadDaily:
    """One rollup row: the episode's downloads on a UTC day through one app from one country."""
    row = DownloadDaily(
        show_id=episode.show_id,
        episode_id=episode.id,
        day=day,
        app=app,
        country=country,
        downloads=downloads,
    )
    db.session.add(row)
    db.session.commit()
    return row


def add_days(
    episode: Episode,
    first: date,
    counts: list[int],
    app: str = "Apple Podcasts",
    country: str = "US",
) -> None:
    """Rows for consecutive days from `first`, one count a day (zeros write no row)."""
    for offset, count in enumerate(counts):
        if count:
            db.session.add(
                DownloadDaily(
                    show_id=episode.show_id,
                    episode_id=episode.id,
                    day=first + timedelta(offset),
                    app=app,
                    country=country,
                    downloads=count,
                )
            )
    db.session.commit()
