"""Reading the downloads: totals, days, apps, countries and each episode's first days, all from
the download_daily rollup (never raw hits), aggregated in SQL on indexed keys: a show's from the
narrow summaries its triggers keep (per show, day and app; per show, day and country; per
episode and day), one episode's apps and countries from download_daily itself.

A "day" is a UTC day. An episode's first N days are the UTC day it was published and the N - 1
days after it; until they are over, the number is the count so far, marked incomplete.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Select, and_, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from podcast.errors import ValidationError
from podcast.models import (
    DownloadDaily,
    DownloadEpisodeDaily,
    DownloadShowAppDaily,
    DownloadShowCountryDaily,
    Episode,
    EpisodeStatus,
)
from podcast.wording import say

DEFAULT_DAYS = 90
MAX_DAYS = 3660  # ten years of zero-filled days is still a small answer
FIRST_DAYS = (1, 7, 30)
UNKNOWN_COUNTRY = ""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


@dataclass(frozen=True)
class Span:
    """A range of UTC days, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        """Every day of the span, oldest first."""
        return [self.start + timedelta(n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Downloads:
    """What a show or an episode was downloaded in a span: the API's answer."""

    span: Span
    total: int
    by_day: list[tuple[date, int]]  # every day of the span, zero-filled
    by_app: list[tuple[str, int]]  # most downloads first
    by_country: list[tuple[str, int]]  # most downloads first; "" is unknown


@dataclass(frozen=True)
class Window:
    """An episode's downloads in its first `days` days; incomplete while they are not over."""

    days: int
    downloads: int
    complete: bool
    elapsed: int  # days of the window that have begun (1..days)


@dataclass(frozen=True)
class FirstDays:
    """One episode's first 1, 7 and 30 days, side by side."""

    episode_id: int
    title: str
    published: date | None
    windows: tuple[Window, ...]

    def window(self, days: int) -> Window | None:
        """The window of this many days, if it was asked for."""
        return next((w for w in self.windows if w.days == days), None)


def today_utc(now: datetime | None = None) -> date:
    """Today's UTC date."""
    return (now or datetime.now(UTC)).astimezone(UTC).date()


def last_days(today: date, days: int = DEFAULT_DAYS) -> Span:
    """The span of the last `days` days, today included."""
    return Span(today - timedelta(days - 1), today)


def _parse_day(text: str) -> date:
    if not _DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def parse_span(start: str | None, end: str | None, today: date) -> Span:
    """The span ?from=YYYY-MM-DD&to=YYYY-MM-DD asks for (defaults: the last 90 days up to
    today, or 90 days up to `to`); ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    parsed: dict[str, date] = {}
    for name, text in (("from", start), ("to", end)):
        if text is None or text == "":
            continue
        try:
            parsed[name] = _parse_day(text.strip())
        except ValueError:
            errors[name] = say("Give a date as YYYY-MM-DD, for example 2026-11-24.")
    if errors:
        raise ValidationError(say("Please correct the dates."), fields=errors)
    last = parsed.get("to", today)
    try:
        first = parsed.get("from") or last - timedelta(DEFAULT_DAYS - 1)
    except OverflowError:  # ?to= in the first days of year 1
        first = date.min
    if first > last:
        message = say("The first day comes after the last one.")
        raise ValidationError(message, fields={"from": message})
    if (last - first).days + 1 > MAX_DAYS:
        message = say("Ask for at most %(days)s days at a time.", days=MAX_DAYS)
        raise ValidationError(message, fields={"from": message})
    return Span(first, last)


def _fold(rows: Iterable[Any], span: Span) -> Downloads:
    """One pass over (day, app, country, downloads) groups: the three breakdowns at once."""
    days: Counter[date] = Counter()
    apps: Counter[str] = Counter()
    countries: Counter[str] = Counter()
    for day, app, country, downloads in rows:
        count = int(downloads or 0)
        days[_as_date(day)] += count
        apps[app] += count
        countries[country] += count
    by_day = [(day, days.get(day, 0)) for day in span.days]
    return Downloads(
        span=span,
        total=sum(days.values()),
        by_day=by_day,
        by_app=_ranked(apps),
        by_country=_ranked(countries),
    )


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    # Most first; a tie goes by name so that the order never depends on the database.
    return sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: (-kv[1], kv[0]))


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def downloads(
    session: Session, span: Span, *, show_id: int | None = None, episode_id: int | None = None
) -> Downloads:
    """A show's (or one episode's) downloads in the span: total, by day, by app, by country."""
    if episode_id is not None:
        # One episode's rows are few: one indexed range scan grouped by (day, app, country),
        # folded into the three breakdowns here.
        statement = (
            select(
                DownloadDaily.day,
                DownloadDaily.app,
                DownloadDaily.country,
                func.sum(DownloadDaily.downloads),
            )
            .where(
                DownloadDaily.episode_id == episode_id,
                DownloadDaily.day >= span.start,
                DownloadDaily.day <= span.end,
            )
            .group_by(DownloadDaily.day, DownloadDaily.app, DownloadDaily.country)
        )
        return _fold(session.execute(statement), span)
    # A show's: its summaries by (day, app) and by country, a few thousand rows for 90 days.
    apps = select(
        DownloadShowAppDaily.day, DownloadShowAppDaily.app, DownloadShowAppDaily.downloads
    ).where(
        DownloadShowAppDaily.show_id == show_id,
        DownloadShowAppDaily.day >= span.start,
        DownloadShowAppDaily.day <= span.end,
    )
    countries = (
        select(DownloadShowCountryDaily.country, func.sum(DownloadShowCountryDaily.downloads))
        .where(
            DownloadShowCountryDaily.show_id == show_id,
            DownloadShowCountryDaily.day >= span.start,
            DownloadShowCountryDaily.day <= span.end,
        )
        .group_by(DownloadShowCountryDaily.country)
    )
    by_app = _fold(((day, app, "", n) for day, app, n in session.execute(apps)), span)
    by_country: Counter[str] = Counter(
        {code: int(n or 0) for code, n in session.execute(countries)}
    )
    return Downloads(
        span=span,
        total=by_app.total,
        by_day=by_app.by_day,
        by_app=by_app.by_app,
        by_country=_ranked(by_country),
    )


def all_time_total(
    session: Session, *, show_id: int | None = None, episode_id: int | None = None
) -> int:
    """Every download a show (or an episode) has had."""
    if episode_id is not None:
        statement = select(func.sum(DownloadEpisodeDaily.downloads)).where(
            DownloadEpisodeDaily.episode_id == episode_id
        )
    else:
        statement = select(func.sum(DownloadShowAppDaily.downloads)).where(
            DownloadShowAppDaily.show_id == show_id
        )
    return int(session.scalar(statement) or 0)


def _publish_day(session: Session, plus: int = 0) -> ColumnElement[Any]:
    """An episode's publish day (UTC) plus `plus` days, as SQL the day column compares with."""
    if session.get_bind().dialect.name == "postgresql":
        day: ColumnElement[Any] = cast(Episode.publish_at, Date)
        return day + plus if plus else day
    # SQLite keeps dates as ISO text: date() gives the same shape, so they compare as text.
    return func.date(Episode.publish_at, f"+{plus} days")


def _published(episode: Any) -> date | None:
    moment = episode.publish_at
    if moment is None:
        return None
    return _as_date(moment)


def _window(days: int, downloads: int, published: date | None, today: date) -> Window:
    begun = 0 if published is None else (today - published).days + 1
    elapsed = max(0, min(days, begun))
    return Window(days=days, downloads=downloads, complete=begun >= days + 1, elapsed=elapsed)


def _first_days_statement(
    session: Session, lengths: tuple[int, ...], where: ColumnElement[bool]
) -> Select[Any]:
    daily = DownloadEpisodeDaily
    sums = [
        func.coalesce(func.sum(case((daily.day < _publish_day(session, n), daily.downloads))), 0)
        for n in lengths
    ]
    # The join reads each episode's first days only: a range of the (episode_id, day) key.
    joined = and_(
        daily.episode_id == Episode.id,
        daily.day >= _publish_day(session),
        daily.day < _publish_day(session, max(lengths)),
    )
    return (
        select(Episode.id, Episode.title, Episode.publish_at, *sums)
        .outerjoin(daily, joined)
        .where(where)
        .group_by(Episode.id, Episode.title, Episode.publish_at)
    )


def _first_days(
    session: Session,
    where: ColumnElement[bool],
    today: date,
    lengths: tuple[int, ...],
    order: bool = True,
) -> list[FirstDays]:
    statement = _first_days_statement(session, lengths, where)
    if order:
        statement = statement.order_by(Episode.publish_at.desc(), Episode.id.desc())
    found = []
    for row in session.execute(statement):
        published = _published(row)
        windows = tuple(
            _window(n, int(total), published, today)
            for n, total in zip(lengths, row[3:], strict=True)
        )
        found.append(FirstDays(row.id, row.title, published, windows))
    return found


def first_days(
    session: Session,
    show_id: int,
    today: date,
    *,
    limit: int | None = None,
    offset: int = 0,
    lengths: tuple[int, ...] = FIRST_DAYS,
) -> list[FirstDays]:
    """The show's published episodes, newest first, each with its first 1, 7 and 30 days."""
    newest = (
        select(Episode.id)
        .where(
            Episode.show_id == show_id,
            Episode.status != EpisodeStatus.DRAFT,
            Episode.publish_at.is_not(None),
        )
        .order_by(Episode.publish_at.desc(), Episode.id.desc())
        .offset(offset)
    )
    if limit is not None:
        newest = newest.limit(limit)
    ids = list(session.scalars(newest))
    if not ids:
        return []
    return _first_days(session, Episode.id.in_(ids), today, lengths)


def published_count(session: Session, show_id: int) -> int:
    """How many of the show's episodes have a publish date (the comparison's rows)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Episode)
            .where(
                Episode.show_id == show_id,
                Episode.status != EpisodeStatus.DRAFT,
                Episode.publish_at.is_not(None),
            )
        )
        or 0
    )


def episode_first_days(
    session: Session, episode_id: int, today: date, lengths: tuple[int, ...] = FIRST_DAYS
) -> FirstDays | None:
    """One episode's first 1, 7 and 30 days (None when it does not exist)."""
    found = _first_days(session, Episode.id == episode_id, today, lengths, order=False)
    return found[0] if found else None


def seven_days(
    session: Session, episode_ids: Collection[int], today: date, days: int = 7
) -> dict[int, Window]:
    """Each listed episode's downloads in its first 7 days, in one query (the dashboard's
    column); an episode without a publish date is left out."""
    if not episode_ids:
        return {}
    rows = _first_days(
        session,
        and_(Episode.id.in_(list(episode_ids)), Episode.publish_at.is_not(None)),
        today,
        (days,),
        order=False,
    )
    return {row.episode_id: row.windows[0] for row in rows}
