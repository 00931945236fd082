"""Admin: a show's and an episode's downloads (days, first days, apps, countries, totals),
each chart its own SVG document (embedded with <img>), each table also a CSV file."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request, url_for

from podcast.analytics import charts, exports, reports
from podcast.errors import ValidationError
from podcast.extensions import db
from podcast.i18n import (
    format_day,
    format_number,
    format_short_day,
    gettext,
    locale_code,
    territory_name,
    translate,
)
from podcast.models import Episode, Show, utcnow
from podcast.views.admin.common import bp, show_or_404
from podcast.views.admin.episodes import episode_or_404
from podcast.views.security import chart_security_policy

CHARTS = ("days", "apps", "countries")
TABLES = (*CHARTS, "episodes")
EPISODES_PER_PAGE = 25
CHART_TOP = {"apps": 10, "countries": 15}  # the rest is one bar; the tables list them all
DAY_LABEL_EVERY = 14


def _today() -> Any:
    return reports.today_utc(utcnow())


def _span() -> tuple[reports.Span, dict[str, str]]:
    """The ?from=&to= span, or the last 90 days with the field errors when they are bad."""
    try:
        span = reports.parse_span(request.args.get("from"), request.args.get("to"), _today())
    except ValidationError as exc:
        return reports.last_days(_today()), {k: translate(v) for k, v in exc.fields.items()}
    return span, {}


def _span_args(span: reports.Span) -> dict[str, str]:
    return {"from": span.start.isoformat(), "to": span.end.isoformat()}


def _page() -> int:
    given = request.args.get("page", "1")
    return int(given) if given.isascii() and given.isdigit() and 0 < int(given) < 10**6 else 1


def _country(code: str) -> str:
    return territory_name(code) if code else gettext("Unknown")


def _links(endpoint: str, span: reports.Span, names: tuple[str, ...], **ids: Any) -> dict:
    """For each chart and table: its SVG (light, dark) and CSV addresses over the span."""
    args = {**ids, **_span_args(span)}
    found: dict[str, dict[str, str]] = {}
    for name in names:
        found[name] = {"csv": url_for(f"{endpoint}_csv", name=name, **args)}
        if name in CHARTS:
            found[name]["svg"] = url_for(f"{endpoint}_chart", name=name, **args)
            found[name]["dark"] = url_for(f"{endpoint}_chart", name=name, theme="dark", **args)
    return found


def _render(show: Show, episode: Episode | None, **context: Any) -> Any:
    span, errors = _span()
    scope = {"episode_id": episode.id} if episode else {"show_id": show.id}
    found = reports.downloads(db.session, span, **scope)
    if episode is None:
        links = _links("admin.show_downloads", span, TABLES, handle=show.handle)
    else:
        links = _links("admin.episode_downloads", span, CHARTS, episode_id=episode.id)
    return render_template(
        "admin/downloads.html",
        show=show,
        episode=episode,
        span=span,
        span_errors=errors,
        typed={name: request.args.get(name, "") for name in ("from", "to")},
        found=found,
        all_time=reports.all_time_total(db.session, **scope),
        links=links,
        country_name=_country,
        format_day=format_day,
        lengths=reports.FIRST_DAYS,
        **context,
    ), (422 if errors else 200)


@bp.get("/shows/<handle>/downloads")
def show_downloads(handle: str) -> Any:
    """A show's downloads: per day, each episode's first 1, 7 and 30 days, apps, countries."""
    show = show_or_404(handle)
    page = _page()
    rows = reports.first_days(
        db.session, show.id, _today(), limit=EPISODES_PER_PAGE,
        offset=(page - 1) * EPISODES_PER_PAGE,
    )  # fmt: skip
    count = reports.published_count(db.session, show.id)
    return _render(
        show, None, first_days=rows, page=page,
        pages=max(1, -(-count // EPISODES_PER_PAGE)), episode_count=count,
    )  # fmt: skip


@bp.get("/episodes/<int:episode_id>/downloads")
def episode_downloads(episode_id: int) -> Any:
    """One episode's downloads: its first 1, 7 and 30 days, per day, apps, countries."""
    episode = episode_or_404(episode_id)
    windows = reports.episode_first_days(db.session, episode.id, _today())
    return _render(episode.show, episode, first_days=[windows] if windows else [])


def _chart(name: str, found: reports.Downloads) -> Response:
    """One chart as an SVG document with a CSP that lets only its own stylesheet in."""
    theme = request.args.get("theme", "light")
    if name == "days":
        labels = [format_short_day(day) for day, _ in found.by_day]
        values = [n for _, n in found.by_day]
        title = gettext("Downloads per day")
    else:
        rows = found.by_app if name == "apps" else found.by_country
        top = CHART_TOP[name]
        shown, rest = rows[:top], sum(n for _, n in rows[top:])
        labels = [label if name == "apps" else _country(label) for label, _ in shown]
        values = [n for _, n in shown]
        if rest:
            labels.append(gettext("All others"))
            values.append(rest)
        title = gettext("Downloads by app") if name == "apps" else gettext("Downloads by country")
    chart = charts.bars(
        labels, values, title=title, theme=theme, horizontal=name != "days",
        number=format_number, label_every=DAY_LABEL_EVERY if name == "days" else 1,
        locale=locale_code(),
    )  # fmt: skip
    response = Response(chart.svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = chart_security_policy(chart.style_hashes)
    return response


def _csv(filename: str, body: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _table(name: str, found: reports.Downloads) -> str:
    if name == "days":
        return exports.days_csv(found)
    if name == "apps":
        return exports.apps_csv(found)
    names = {code: _country(code) for code, _ in found.by_country}
    return exports.countries_csv(found, names)


def _filename(stem: str, name: str, span: reports.Span) -> str:
    return f"{stem}-downloads-{name}-{span.start.isoformat()}-{span.end.isoformat()}.csv"


@bp.get("/shows/<handle>/downloads/<name>.svg")
def show_downloads_chart(handle: str, name: str) -> Response:
    """A chart of the show's downloads (days, apps or countries) over ?from=&to=."""
    show = show_or_404(handle)
    if name not in CHARTS:
        abort(404)
    return _chart(name, reports.downloads(db.session, _span()[0], show_id=show.id))


@bp.get("/shows/<handle>/downloads/<name>.csv")
def show_downloads_csv(handle: str, name: str) -> Response:
    """A table of the show's downloads as CSV: days, apps, countries or episodes."""
    show = show_or_404(handle)
    if name not in TABLES:
        abort(404)
    span = _span()[0]
    if name == "episodes":
        rows = reports.first_days(db.session, show.id, _today())
        filename = f"{show.handle}-downloads-first-days-{_today().isoformat()}.csv"
        return _csv(filename, exports.first_days_csv(rows))
    found = reports.downloads(db.session, span, show_id=show.id)
    return _csv(_filename(show.handle, name, span), _table(name, found))


@bp.get("/episodes/<int:episode_id>/downloads/<name>.svg")
def episode_downloads_chart(episode_id: int, name: str) -> Response:
    """A chart of one episode's downloads (days, apps or countries) over ?from=&to=."""
    episode = episode_or_404(episode_id)
    if name not in CHARTS:
        abort(404)
    return _chart(name, reports.downloads(db.session, _span()[0], episode_id=episode.id))


@bp.get("/episodes/<int:episode_id>/downloads/<name>.csv")
def episode_downloads_csv(episode_id: int, name: str) -> Response:
    """A table of one episode's downloads as CSV: days, apps or countries."""
    episode = episode_or_404(episode_id)
    if name not in CHARTS:
        abort(404)
    span = _span()[0]
    found = reports.downloads(db.session, span, episode_id=episode.id)
    return _csv(_filename(f"episode-{episode.id}", name, span), _table(name, found))
