"""The downloads a producer reads, computed from the download_daily rollup: zero-filled days,
each episode's first 1, 7 and 30 days against sums done by hand, apps and countries in order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from support.downloads import add_days, add_downloads, published_on

from podcast.analytics import reports
from podcast.errors import ValidationError
from podcast.extensions import db

TODAY = date(2026, 11, 30)


@pytest.fixture
def episode(make_episode):
    """An episode published at 09:00 UTC on 1 November 2026 (29 days before TODAY)."""
    return published_on(make_episode("First"), date(2026, 11, 1))


def test_days_without_downloads_are_zero_and_the_span_is_inclusive(episode) -> None:
    add_downloads(episode, date(2026, 11, 3), 5)
    add_downloads(episode, date(2026, 11, 3), 2, app="Spotify")
    add_downloads(episode, date(2026, 11, 6), 4)
    add_downloads(episode, date(2026, 11, 8), 100)  # after the span
    span = reports.Span(date(2026, 11, 2), date(2026, 11, 7))
    found = reports.downloads(db.session, span, show_id=episode.show_id)
    assert found.by_day == [
        (date(2026, 11, 2), 0),
        (date(2026, 11, 3), 7),
        (date(2026, 11, 4), 0),
        (date(2026, 11, 5), 0),
        (date(2026, 11, 6), 4),
        (date(2026, 11, 7), 0),
    ]
    assert found.total == 11


def test_the_default_span_is_the_last_90_days_up_to_today() -> None:
    span = reports.parse_span(None, None, TODAY)
    assert (span.start, span.end) == (TODAY - timedelta(89), TODAY)
    assert len(span.days) == 90
    only_to = reports.parse_span(None, "2026-06-30", TODAY)
    assert only_to == reports.Span(date(2026, 4, 2), date(2026, 6, 30))
    only_from = reports.parse_span("2026-11-01", "", TODAY)
    assert only_from == reports.Span(date(2026, 11, 1), TODAY)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-13-01", None, "from"),
        ("yesterday", None, "from"),
        ("20261101", None, "from"),
        (None, "2026-02-30", "to"),
        ("2026-11-10", "2026-11-01", "from"),
        ("1990-01-01", "2026-01-01", "from"),
    ],
)
def test_bad_dates_name_their_field(start, end, field) -> None:
    with pytest.raises(ValidationError) as caught:
        reports.parse_span(start, end, TODAY)
    assert field in caught.value.fields
    assert caught.value.status == 422


def test_first_1_7_30_days_match_the_sums_by_hand(episode, make_episode) -> None:
    # 31 days of downloads from the publish day: day n (0-based) has n + 1 downloads, through
    # two apps; the day before publishing (a pre-release probe) never counts.
    counts = list(range(1, 32))
    add_days(episode, date(2026, 11, 1), counts)
    add_days(episode, date(2026, 11, 1), [10] * 31, app="Spotify", country="KZ")
    add_downloads(episode, date(2026, 10, 31), 999)
    found = reports.episode_first_days(db.session, episode.id, date(2026, 12, 15))
    assert found is not None
    by_days = {w.days: w for w in found.windows}
    assert by_days[1].downloads == 1 + 10
    assert by_days[7].downloads == sum(range(1, 8)) + 70
    assert by_days[30].downloads == sum(range(1, 31)) + 300
    assert all(w.complete for w in found.windows)


def test_an_episode_younger_than_the_window_says_so(episode, make_episode) -> None:
    young = published_on(make_episode("Young"), TODAY - timedelta(2), hour=23)
    add_days(young, TODAY - timedelta(2), [4, 5, 6])
    rows = {row.title: row for row in reports.first_days(db.session, young.show_id, TODAY)}
    windows = {w.days: w for w in rows["Young"].windows}
    assert windows[1] == reports.Window(days=1, downloads=4, complete=True, elapsed=1)
    assert windows[7] == reports.Window(days=7, downloads=15, complete=False, elapsed=3)
    assert windows[30].complete is False and windows[30].downloads == 15
    # Published 29 days ago: its 7 days are over, its 30th day is today (not over yet).
    first = {w.days: w for w in rows["First"].windows}
    assert first[7].complete and not first[30].complete and first[30].elapsed == 30


def test_first_days_lists_every_published_episode_newest_first_even_without_downloads(
    episode, make_episode
) -> None:
    newer = published_on(make_episode("Newer"), date(2026, 11, 20))
    make_episode("A draft", audio=None, status="draft")
    add_downloads(newer, date(2026, 11, 20), 3)
    rows = reports.first_days(db.session, episode.show_id, TODAY)
    assert [row.title for row in rows] == ["Newer", "First"]
    assert [w.downloads for w in rows[1].windows] == [0, 0, 0]
    assert reports.published_count(db.session, episode.show_id) == 2
    page = reports.first_days(db.session, episode.show_id, TODAY, limit=1, offset=1)
    assert [row.title for row in page] == ["First"]


def test_apps_and_countries_are_ranked_most_first(episode) -> None:
    day = date(2026, 11, 5)
    for app, country, count in [
        ("Apple Podcasts", "US", 30),
        ("Spotify", "KZ", 50),
        ("Overcast", "US", 5),
        ("Spotify", "US", 10),
        ("Pocket Casts", "", 5),
        ("Apple Podcasts", "KG", 1),
    ]:
        add_downloads(episode, day, count, app=app, country=country)
    found = reports.downloads(db.session, reports.Span(day, day), episode_id=episode.id)
    assert found.by_app == [
        ("Spotify", 60),
        ("Apple Podcasts", 31),
        ("Overcast", 5),
        ("Pocket Casts", 5),
    ]
    assert found.by_country == [("KZ", 50), ("US", 45), ("", 5), ("KG", 1)]
    assert found.total == 101 == sum(n for _, n in found.by_country)


def test_a_show_reads_only_its_own_episodes(episode, make_episode, second_show) -> None:
    other = published_on(make_episode("Elsewhere", in_show=second_show), date(2026, 11, 1))
    add_downloads(episode, date(2026, 11, 2), 3)
    add_downloads(other, date(2026, 11, 2), 40)
    span = reports.Span(date(2026, 11, 1), date(2026, 11, 30))
    assert reports.downloads(db.session, span, show_id=episode.show_id).total == 3
    assert reports.downloads(db.session, span, show_id=second_show.id).total == 40
    assert reports.downloads(db.session, span, episode_id=other.id).total == 40
    assert reports.all_time_total(db.session, show_id=episode.show_id) == 3


def test_seven_days_for_a_list_of_episodes_in_one_answer(episode, make_episode) -> None:
    second = published_on(make_episode("Second"), date(2026, 11, 27))
    unscheduled = make_episode("No date", audio=None, status="draft")
    add_days(episode, date(2026, 11, 1), [1] * 10)
    add_days(second, date(2026, 11, 27), [2, 2, 2, 2])
    found = reports.seven_days(db.session, [episode.id, second.id, unscheduled.id], TODAY)
    assert found[episode.id].downloads == 7 and found[episode.id].complete
    assert found[second.id].downloads == 8 and not found[second.id].complete
    assert unscheduled.id not in found
    assert reports.seven_days(db.session, [], TODAY) == {}


def _summaries_match_the_rollup() -> None:
    """Each summary holds exactly what download_daily adds up to, key by key."""
    from sqlalchemy import func, select

    from podcast.models import (
        DownloadDaily,
        DownloadEpisodeDaily,
        DownloadShowAppDaily,
        DownloadShowCountryDaily,
    )

    db.session.expire_all()
    for summary, keys in (
        (DownloadShowAppDaily, ("show_id", "day", "app")),
        (DownloadShowCountryDaily, ("show_id", "day", "country")),
        (DownloadEpisodeDaily, ("episode_id", "day")),
    ):
        columns = [getattr(DownloadDaily, key) for key in keys]
        expected = {
            tuple(row[:-1]): row[-1]
            for row in db.session.execute(
                select(*columns, func.sum(DownloadDaily.downloads)).group_by(*columns)
            )
        }
        kept = {
            tuple(row[:-1]): row[-1]
            for row in db.session.execute(
                select(*[getattr(summary, key) for key in keys], summary.downloads)
            )
            if row[-1]
        }
        assert kept == expected, summary.__tablename__


def test_the_summaries_follow_every_write_to_the_rollup(episode, make_episode) -> None:
    """Inserts, the rollup's insert-or-add, a changed row, a deleted episode: the pages' numbers
    (read from the summaries) stay those of download_daily."""
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql, sqlite

    from podcast.models import DownloadDaily

    other = published_on(make_episode("Other"), date(2026, 11, 1))
    add_days(episode, date(2026, 11, 1), [3, 4, 5], app="Spotify", country="KZ")
    add_days(other, date(2026, 11, 1), [1, 1], app="Spotify", country="KZ")
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(DownloadDaily)
    statement = statement.on_conflict_do_update(  # as the rollup adds what it counted
        index_elements=["episode_id", "day", "app", "country"],
        set_={"downloads": DownloadDaily.__table__.c.downloads + statement.excluded.downloads},
    )
    values = [
        {"show_id": episode.show_id, "episode_id": episode.id, "day": date(2026, 11, 1),
         "app": "Spotify", "country": "KZ", "downloads": 10},
        {"show_id": episode.show_id, "episode_id": episode.id, "day": date(2026, 11, 2),
         "app": "Overcast", "country": "", "downloads": 2},
    ]  # fmt: skip
    db.session.execute(statement, values)
    db.session.commit()
    _summaries_match_the_rollup()
    span = reports.Span(date(2026, 11, 1), date(2026, 11, 3))
    found = reports.downloads(db.session, span, show_id=episode.show_id)
    assert [n for _, n in found.by_day] == [13 + 1, 4 + 2 + 1, 5]
    assert found.by_app == [("Spotify", 24), ("Overcast", 2)]
    row = db.session.scalars(select(DownloadDaily).where(DownloadDaily.app == "Overcast")).one()
    row.country, row.downloads = "UZ", 7
    db.session.commit()
    _summaries_match_the_rollup()
    db.session.delete(other)
    db.session.commit()
    _summaries_match_the_rollup()
    found = reports.downloads(db.session, span, show_id=episode.show_id)
    assert found.total == 3 + 4 + 5 + 10 + 7
    assert found.by_country == [("KZ", 22), ("UZ", 7)]
    assert reports.all_time_total(db.session, show_id=episode.show_id) == 29
    assert reports.all_time_total(db.session, episode_id=episode.id) == 29
