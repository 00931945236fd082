"""Only admins move or claim the feed: new_feed_url and owner_email are refused to producers on
the API and in the admin (403 naming the field, nothing changed), and every change is recorded
with who made it, shown on the admin's show page."""

from __future__ import annotations

import io

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select
from support.data import COVER

from podcast.extensions import db
from podcast.models import MediaAsset, Show, ShowChange

ELSEWHERE = "https://feeds.example.net/majlis.xml"
CLAIMER = "claimer@example.net"


def _show() -> Show:
    db.session.expire_all()
    return db.session.scalar(select(Show))


def _changes() -> list[tuple[str, str, str, str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(ShowChange).order_by(ShowChange.id))
    return [(c.actor, c.via, c.field, c.old_value, c.new_value) for c in rows]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("new_feed_url", ELSEWHERE, "moves every subscriber"),
        ("owner_email", CLAIMER, "ownership codes"),
    ],
)
def test_a_producer_token_may_not_move_or_claim_the_feed(
    client, show, api_token, field, value, reason
):
    before = (_show().new_feed_url, _show().owner_email, _show().revision)
    response = client.patch(
        "/api/v1/show", headers=api_token("producer"), json={field: value, "subtitle": "Changed"}
    )
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "forbidden"
    assert error["message"].startswith(f"Only an admin may change {field}: ")
    assert reason in error["message"] and list(error["fields"]) == [field]
    after = _show()
    assert (after.new_feed_url, after.owner_email, after.revision) == before
    assert after.subtitle != "Changed"
    assert _changes() == []
    assert b"new-feed-url" not in client.get("/feed.xml").data


def test_a_refused_producer_stores_no_artwork_either(client, show, api_token):
    response = client.patch(
        "/api/v1/show",
        headers=api_token("producer"),
        data={"new_feed_url": ELSEWHERE, "artwork": (io.BytesIO(COVER.read_bytes()), "c.jpg")},
    )
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(MediaAsset)) == 0


def test_a_producer_may_send_the_values_as_they_are(client, show, api_token):
    headers = api_token("producer")
    current = client.get("/api/v1/show", headers=headers).get_json()
    response = client.patch(
        "/api/v1/show",
        headers=headers,
        json={"owner_email": current["owner_email"], "new_feed_url": "", "subtitle": "Changed"},
    )
    assert response.status_code == 200, response.get_json()
    assert _show().subtitle == "Changed" and _changes() == []


def test_an_admin_moves_the_feed_and_it_is_recorded(client, show, make_user):
    from podcast.services.accounts import create_token

    admin = make_user("chief@example.org", "admin")
    headers = {"Authorization": f"Bearer {create_token(db.session, admin)}"}
    response = client.patch(
        "/api/v1/show", headers=headers, json={"new_feed_url": ELSEWHERE, "owner_email": CLAIMER}
    )
    assert response.status_code == 200
    assert _show().new_feed_url == ELSEWHERE and _show().owner_email == CLAIMER
    assert sorted(_changes()) == [
        ("chief@example.org", "api", "new_feed_url", "", ELSEWHERE),
        ("chief@example.org", "api", "owner_email", "podcasts@example.org", CLAIMER),
    ]
    assert ELSEWHERE.encode() in client.get("/feed.xml").data


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Majlis",
        "description": "RFE/RL's weekly podcast on Central Asia.",
        "author": "RFE/RL",
        "owner_name": "RFE/RL Podcasts",
        "language": "en",
        "timezone": "Europe/Prague",
        "categories-0": "News > Politics",
        "show_type": "episodic",
    }
    data.update(overrides)
    return data


def test_the_admin_form_shows_producers_the_settings_as_text(client, login, show):
    login("producer")
    doc = lxml_html.fromstring(client.get("/admin/show").text)
    assert not doc.xpath("//input[@name='new_feed_url' or @name='owner_email']")
    readonly = doc.get_element_by_id("owner_email-readonly").text_content()
    assert "podcasts@example.org" in readonly and "Only an admin may change it" in readonly


def test_a_producer_saves_the_form_and_the_owner_stays(client, login, no_csrf, show):
    login("producer")
    response = client.post("/admin/show", data=_form(subtitle="Central Asia, weekly"))
    assert response.status_code == 302
    assert _show().subtitle == "Central Asia, weekly"
    assert _show().owner_email == "podcasts@example.org" and _changes() == []


def test_a_producer_posting_the_fields_anyway_gets_403(client, login, no_csrf, show):
    login("producer")
    response = client.post("/admin/show", data=_form(new_feed_url=ELSEWHERE, subtitle="X"))
    assert response.status_code == 403
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    message = doc.get_element_by_id("new_feed_url-error").text_content()
    assert message.startswith("Only an admin may change new_feed_url")
    assert _show().new_feed_url == "" and _show().subtitle != "X" and _changes() == []


def test_an_admin_changes_the_owner_in_the_form_and_the_page_says_who(client, login, no_csrf, show):
    login("admin")
    response = client.post("/admin/show", data=_form(owner_email=CLAIMER, new_feed_url=ELSEWHERE))
    assert response.status_code == 302
    assert _show().owner_email == CLAIMER
    doc = lxml_html.fromstring(client.get("/admin/show").text)
    rows = [r.text_content() for r in doc.find_class("show-change")]
    assert len(rows) == 2
    owner = next(r for r in rows if "owner_email" in r)
    assert "admin@example.org (admin)" in owner
    assert "podcasts@example.org" in owner and CLAIMER in owner
