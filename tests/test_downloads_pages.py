"""The downloads pages a producer reads: a show's and an episode's numbers (per day, first
days side by side, apps, countries, totals), each chart an SVG with a CSP of its own, each
table a CSV; the dashboard's 7-day column; only members and admins see a show's numbers."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import lxml.html
import pytest
from support.auth import sign_in_as
from support.downloads import add_days, add_downloads, published_on

from podcast.extensions import db
from podcast.models import utcnow


def _today() -> Any:
    return utcnow().date()


@pytest.fixture
def counted(make_episode) -> dict[str, Any]:
    """Two episodes of Majlis: one published 40 days ago (35 days of downloads, two apps, three
    countries), one published 2 days ago (3 days of downloads)."""
    today = _today()
    old = published_on(make_episode("Silence and Impunity"), today - timedelta(40))
    new = published_on(make_episode("Fresh"), today - timedelta(2))
    add_days(old, today - timedelta(40), list(range(1, 36)), app="Apple Podcasts", country="KZ")
    add_days(old, today - timedelta(40), [2] * 35, app="Spotify", country="KG")
    add_downloads(old, today - timedelta(1), 7, app="Spotify", country="")
    add_days(new, today - timedelta(2), [5, 6, 7], app="Overcast", country="KZ")
    return {"old": old, "new": new, "today": today}


def _page(client: Any, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    return lxml.html.fromstring(response.data)


def _rows(page: Any, table_id: str) -> list[list[str]]:
    table = page.get_element_by_id(table_id)
    return [
        [" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]
        for row in table.xpath("./tbody/tr")
    ]


def test_the_show_page_has_every_table_with_the_numbers(client, login, counted) -> None:
    login("producer")
    page = _page(client, "/admin/shows/majlis/downloads")
    days = _rows(page, "downloads-days")
    assert len(days) == 90
    # Yesterday: old episode day 39 (no Apple row past day 34), Spotify 7, new episode's day 1: 6.
    assert days[-2][1] == "13"
    assert days[-1][1] == "7"
    assert days[0][1] == "0"  # 89 days ago: nothing was published yet, and the day is there
    old_first = sum(range(1, 2)) + 2
    first = {row[0]: row[2:] for row in _rows(page, "downloads-first-days")}
    assert list(first) == ["Fresh", "Silence and Impunity"]  # newest first
    assert first["Silence and Impunity"] == [
        str(old_first),
        str(sum(range(1, 8)) + 14),
        f"{sum(range(1, 31)) + 60:,}",
    ]
    assert first["Fresh"][0] == "5"
    assert first["Fresh"][1] == "18 so far: day 3 of 7"
    assert first["Fresh"][2] == "18 so far: day 3 of 30"
    apps = _rows(page, "downloads-apps")
    assert [row[0] for row in apps] == ["Apple Podcasts", "Spotify", "Overcast"]
    countries = {row[0]: row[1] for row in _rows(page, "downloads-countries")}
    assert countries["Kazakhstan (KZ)"] == f"{sum(range(1, 36)) + 18:,}"
    assert countries["Kyrgyzstan (KG)"] == "70"
    assert countries["Unknown"] == "7"
    total = page.xpath("//dd[@data-total='span']")[0].text_content().strip()
    assert total == f"{sum(range(1, 36)) + 70 + 7 + 18:,}"
    for table in page.xpath("//table[contains(@class, 'downloads-table')]"):
        assert table.xpath("./caption") and table.xpath(".//th[@scope]")


def test_charts_are_images_of_svg_documents_with_their_own_csp(client, login, counted) -> None:
    login("producer")
    page = _page(client, "/admin/shows/majlis/downloads")
    images = page.xpath("//figure[@class='chart']//img")
    assert len(images) == 3 and all(img.get("alt") for img in images)
    darks = page.xpath("//figure[@class='chart']//source[@media='(prefers-color-scheme: dark)']")
    assert len(darks) == 3
    for url in [img.get("src") for img in images] + [s.get("srcset") for s in darks]:
        chart = client.get(url)
        assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
        svg = chart.get_data(as_text=True)
        assert "<script" not in svg and " style=" not in svg
        policy = chart.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in policy and "style-src 'sha256-" in policy
        assert "default-src 'none'" in policy
    assert client.get("/admin/shows/majlis/downloads/other.svg").status_code == 404


def test_every_table_downloads_as_csv(client, login, counted) -> None:
    login("producer")
    today = counted["today"]
    days = client.get("/admin/shows/majlis/downloads/days.csv")
    assert days.mimetype == "text/csv" and "attachment" in days.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(days.get_data(as_text=True))))
    assert rows[0] == ["date", "downloads"] and len(rows) == 91
    assert rows[-1] == [today.isoformat(), "7"]
    apps = list(
        csv.reader(
            io.StringIO(client.get("/admin/shows/majlis/downloads/apps.csv").get_data(as_text=True))
        )
    )  # noqa: E501
    assert [row[0] for row in apps] == ["app", "Apple Podcasts", "Spotify", "Overcast"]
    countries = client.get("/admin/shows/majlis/downloads/countries.csv").get_data(as_text=True)
    found = {row[0]: row for row in csv.reader(io.StringIO(countries))}
    assert found["KG"] == ["KG", "Kyrgyzstan", "70"] and found[""][2] == "7"
    episodes = client.get("/admin/shows/majlis/downloads/episodes.csv").get_data(as_text=True)
    lines = {row[1]: row for row in csv.reader(io.StringIO(episodes))}
    assert lines["Fresh"][3:] == ["5", "yes", "18", "no", "18", "no"]
    assert lines["Silence and Impunity"][5:7] == [str(sum(range(1, 8)) + 14), "yes"]
    ranged = client.get(
        f"/admin/shows/majlis/downloads/days.csv?from={today.isoformat()}&to={today.isoformat()}"
    )
    assert list(csv.reader(io.StringIO(ranged.get_data(as_text=True))))[1:] == [
        [today.isoformat(), "7"]
    ]


def test_a_title_that_looks_like_a_formula_stays_text_in_the_csv(client, login, make_episode):
    published_on(make_episode('=HYPERLINK("http://x")'), _today())
    login("producer")
    body = client.get("/admin/shows/majlis/downloads/episodes.csv").get_data(as_text=True)
    assert list(csv.reader(io.StringIO(body)))[1][1].startswith("'=")


def test_the_episode_page_shows_its_own_numbers(client, login, counted) -> None:
    login("producer")
    new = counted["new"]
    page = _page(client, f"/admin/episodes/{new.id}/downloads")
    assert page.xpath("//dd[@data-total='first-1']")[0].text_content().strip() == "5"
    assert "so far" in page.xpath("//dd[@data-total='first-7']")[0].text_content()
    assert page.xpath("//dd[@data-total='all']")[0].text_content().strip() == "18"
    assert [row[0] for row in _rows(page, "downloads-apps")] == ["Overcast"]
    assert not page.xpath("//*[@id='downloads-first-days']")
    for name in ("days", "apps", "countries"):
        assert client.get(f"/admin/episodes/{new.id}/downloads/{name}.svg").status_code == 200
        assert client.get(f"/admin/episodes/{new.id}/downloads/{name}.csv").status_code == 200
    edit = _page(client, f"/admin/episodes/{new.id}/edit")
    assert edit.xpath(f"//a[@href='/admin/episodes/{new.id}/downloads']")
    show = _page(client, "/admin/shows/majlis")
    assert show.xpath("//a[@href='/admin/shows/majlis/downloads']")


def test_bad_dates_keep_what_was_typed_and_say_why(client, login, counted) -> None:
    login("producer")
    page = _page(client, "/admin/shows/majlis/downloads?from=2026-02-31&to=2026-03-01", 422)
    assert page.get_element_by_id("span-from").get("value") == "2026-02-31"
    assert page.get_element_by_id("span-from").get("aria-invalid") == "true"
    assert page.xpath("//p[@class='field-error']")
    assert len(_rows(page, "downloads-days")) == 90  # the default span, still useful


def test_the_dashboard_shows_each_episodes_first_7_days(client, login, counted) -> None:
    login("producer")
    page = _page(client, "/admin/")
    cells = {
        row.xpath(".//td[1]")[0].text_content().strip(): row.xpath(".//td[@data-downloads]")[0]
        for row in page.xpath("//tr[contains(@class, 'episode-row')]")
    }
    assert cells["Silence and Impunity"].text_content().split()[0] == str(sum(range(1, 8)) + 14)
    assert cells["Fresh"].text_content().split()[0] == "18"
    assert "so far" in cells["Fresh"].text_content()


def test_the_pages_speak_russian(client, login, counted) -> None:
    user = login("producer")
    user.locale = "ru"
    db.session.commit()
    page = _page(client, "/admin/shows/majlis/downloads")
    assert page.xpath("//h2[@id='apps-title']")[0].text_content() == "Приложения"
    countries = {row[0] for row in _rows(page, "downloads-countries")}
    assert "Казахстан (KZ)" in countries


@pytest.mark.parametrize(
    "url",
    [
        "/admin/shows/{handle}/downloads",
        "/admin/shows/{handle}/downloads/days.svg",
        "/admin/shows/{handle}/downloads/episodes.csv",
        "/admin/episodes/{episode}/downloads",
        "/admin/episodes/{episode}/downloads/apps.svg",
        "/admin/episodes/{episode}/downloads/countries.csv",
    ],
)
def test_a_producer_of_another_show_gets_404_and_an_admin_gets_in(
    client, make_user, counted, second_show, url
) -> None:
    address = url.format(handle="majlis", episode=counted["old"].id)
    sign_in_as(client, make_user("outsider@example.org", shows=[second_show]))
    answer = client.get(address)
    assert answer.status_code == 404
    assert b"Silence and Impunity" not in answer.data
    sign_in_as(client, make_user("boss@example.org", "admin"))
    assert client.get(address).status_code == 200
