"""GET /api/v1/episodes/<id>/downloads and /api/v1/shows/<handle>/downloads: the shape of
design.md 3.7, the numbers, ?from=&to=, 422 for bad dates, and the token's show rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from support.downloads import add_downloads, published_on

from podcast.extensions import db
from podcast.models import utcnow
from podcast.services.accounts import create_token

PREFIX = "/api/v1"


@pytest.fixture
def episode(make_episode):
    """An episode published on 1 November 2026 with downloads on the 2nd and 4th."""
    episode = published_on(make_episode("Counted"), date(2026, 11, 1))
    add_downloads(episode, date(2026, 11, 2), 6, app="Apple Podcasts", country="KZ")
    add_downloads(episode, date(2026, 11, 2), 9, app="Spotify", country="KZ")
    add_downloads(episode, date(2026, 11, 4), 2, app="Overcast", country="")
    return episode


def test_the_answer_has_the_contract_shape_and_the_numbers(client, api_token, episode) -> None:
    headers = api_token("producer")
    url = f"{PREFIX}/episodes/{episode.id}/downloads?from=2026-11-01&to=2026-11-04"
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert set(body) == {"total", "by_day", "by_app", "by_country"}
    assert body["total"] == 17
    assert body["by_day"] == [
        {"date": "2026-11-01", "downloads": 0},
        {"date": "2026-11-02", "downloads": 15},
        {"date": "2026-11-03", "downloads": 0},
        {"date": "2026-11-04", "downloads": 2},
    ]
    assert body["by_app"] == [
        {"name": "Spotify", "downloads": 9},
        {"name": "Apple Podcasts", "downloads": 6},
        {"name": "Overcast", "downloads": 2},
    ]
    assert body["by_country"] == [{"code": "KZ", "downloads": 15}, {"code": "", "downloads": 2}]
    show = client.get(
        f"{PREFIX}/shows/majlis/downloads?from=2026-11-02&to=2026-11-02", headers=headers
    ).get_json()
    assert show["total"] == 15 and len(show["by_day"]) == 1


def test_without_dates_it_is_the_last_90_days_up_to_today(client, api_token, episode) -> None:
    today = utcnow().date()
    add_downloads(episode, today, 4)
    add_downloads(episode, today - timedelta(90), 50)  # one day too old
    body = client.get(f"{PREFIX}/shows/majlis/downloads", headers=api_token()).get_json()
    assert len(body["by_day"]) == 90
    assert body["by_day"][0]["date"] == (today - timedelta(89)).isoformat()
    assert body["by_day"][-1] == {"date": today.isoformat(), "downloads": 4}
    assert body["total"] == 4 + (17 if today - date(2026, 11, 4) < timedelta(90) else 0)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-11-31", "from"),
        ("from=11/01/2026", "from"),
        ("to=tomorrow", "to"),
        ("from=2026-11-05&to=2026-11-01", "from"),
        ("from=1900-01-01&to=2026-01-01", "from"),
        ("to=0001-01-01", "to"),
    ],
)
def test_bad_dates_are_422_with_the_usual_error(client, api_token, episode, query, field) -> None:
    headers = api_token()
    for url in (f"/episodes/{episode.id}/downloads", "/shows/majlis/downloads"):
        answer = client.get(f"{PREFIX}{url}?{query}", headers=headers)
        if query == "to=0001-01-01":
            # A span that starts before the calendar does is just the days there are.
            assert answer.status_code == 200
            continue
        assert answer.status_code == 422, answer.data
        error = answer.get_json()["error"]
        assert error["code"] == "invalid"
        assert field in error["fields"], error
        assert error["message"]


def test_another_shows_member_gets_404_and_no_token_401(
    client, make_user, make_episode, second_show, episode
) -> None:
    outsider = make_user("outsider@example.org", shows=[second_show])
    headers = {"Authorization": f"Bearer {create_token(db.session, outsider)}"}
    for url in (f"/episodes/{episode.id}/downloads", "/shows/majlis/downloads"):
        assert client.get(PREFIX + url, headers=headers).status_code == 404
        assert client.get(PREFIX + url).status_code == 401
    assert client.get(f"{PREFIX}/shows/azattyk/downloads", headers=headers).status_code == 200
    assert client.get(f"{PREFIX}/episodes/999999/downloads", headers=headers).status_code == 404


def test_an_admin_reads_every_show(client, api_token, episode, second_show) -> None:
    headers = api_token("admin")
    assert client.get(f"{PREFIX}/shows/azattyk/downloads", headers=headers).status_code == 200
    answer = client.get(f"{PREFIX}/episodes/{episode.id}/downloads?from=2026-11-01",
                        headers=headers)  # fmt: skip
    assert answer.status_code == 200 and answer.get_json()["total"] == 17
