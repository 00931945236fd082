"""User management: admins list, create and deactivate accounts."""

from __future__ import annotations

from lxml import html as lxml_html
from sqlalchemy import select
from support.data import PASSWORD

from podcast.extensions import db
from podcast.models import Role, User


def test_admin_creates_a_producer_who_can_then_log_in(app, client, login, no_csrf) -> None:
    login("admin")
    response = client.post(
        "/admin/users",
        data={"email": "New.Producer@example.org", "password": PASSWORD, "role": "producer"},
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.producer@example.org"))
    assert user is not None and user.role == Role.PRODUCER
    listing = lxml_html.fromstring(client.get("/admin/users").text).text_content()
    assert "new.producer@example.org" in listing
    other = app.test_client()
    logged_in = other.post(
        "/login", data={"email": "new.producer@example.org", "password": PASSWORD}
    )
    assert logged_in.status_code == 302


def test_bad_new_accounts_are_explained(client, login, no_csrf) -> None:
    login("admin")
    short = client.post(
        "/admin/users", data={"email": "a@example.org", "password": "short", "role": "producer"}
    )
    assert short.status_code == 422
    doc = lxml_html.fromstring(short.text)
    assert "At least 10 characters" in doc.text_content()
    assert doc.get_element_by_id("email").get("value") == "a@example.org"
    duplicate = client.post(
        "/admin/users", data={"email": "admin@example.org", "password": PASSWORD, "role": "admin"}
    )
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.text


def test_deactivated_user_is_logged_out_and_cannot_log_in(
    app, client, login, no_csrf, make_user
) -> None:
    login("admin")
    producer = make_user("producer@example.org")
    other = app.test_client()
    assert (
        other.post(
            "/login", data={"email": "producer@example.org", "password": PASSWORD}
        ).status_code
        == 302
    )
    assert other.get("/admin/").status_code == 200
    response = client.post(f"/admin/users/{producer.id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert other.get("/admin/").status_code == 302
    refused = other.post("/login", data={"email": "producer@example.org", "password": PASSWORD})
    assert "Wrong email or password." in refused.text
    client.post(f"/admin/users/{producer.id}/active", data={"active": "1"})
    again = other.post("/login", data={"email": "producer@example.org", "password": PASSWORD})
    assert again.status_code == 302


def test_an_admin_cannot_deactivate_themselves(client, login, no_csrf) -> None:
    me = login("admin")
    response = client.post(
        f"/admin/users/{me.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert "You cannot deactivate your own account." in response.text
    db.session.expire_all()
    assert db.session.get(User, me.id).active
