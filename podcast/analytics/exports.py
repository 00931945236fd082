"""The downloads as CSV files a producer opens in a spreadsheet: plain English column names
(like the API's), one row per day, app, country or episode."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from podcast.analytics.reports import FIRST_DAYS, Downloads, FirstDays

# A cell a spreadsheet would run as a formula (OWASP's CSV injection list) is kept as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def days_csv(found: Downloads) -> str:
    """date,downloads for every day of the span (zero days included)."""
    return _csv(("date", "downloads"), ((day.isoformat(), n) for day, n in found.by_day))


def apps_csv(found: Downloads) -> str:
    """app,downloads, most first."""
    return _csv(("app", "downloads"), found.by_app)


def countries_csv(found: Downloads, names: dict[str, str] | None = None) -> str:
    """country,name,downloads, most first ("" is unknown); names in the reader's language."""
    names = names or {}
    return _csv(
        ("country", "name", "downloads"),
        ((code, names.get(code, ""), n) for code, n in found.by_country),
    )


def first_days_csv(rows: Iterable[FirstDays], lengths: Sequence[int] = FIRST_DAYS) -> str:
    """One row per episode: its first 1, 7 and 30 days, each with whether it is over."""
    header = ["episode_id", "title", "published"]
    for n in lengths:
        header += [f"first_{n}_days", f"first_{n}_days_complete"]
    lines = []
    for row in rows:
        line: list[Any] = [
            row.episode_id,
            row.title,
            row.published.isoformat() if row.published else "",
        ]
        for n in lengths:
            window = row.window(n)
            line += [window.downloads, "yes" if window.complete else "no"] if window else ["", ""]
        lines.append(line)
    return _csv(header, lines)
