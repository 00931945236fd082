"""Sessions end for real: after logout, a new password or deactivation, a copied session cookie
opens nothing, on any device. (The cookie is signed, not stored: the account's session
generation, part of the id in every cookie, is what ends them.)"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.data import PASSWORD
from test_auth import csrf_token, log_in

from podcast.current import passwords
from podcast.extensions import db
from podcast.models import User
from podcast.services.accounts import authenticate, load_user

NEW_PASSWORD = "Новый пароль 2026"


def _authenticates(password: str) -> bool:
    user = authenticate(db.session, "producer@example.org", password, passwords=passwords())
    return user is not None


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "the client holds no session cookie"
    return cookie.value


def _replay(app: Flask, cookie: str) -> Any:
    """GET /admin/ from another browser that carries a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/admin/")


def _sent_to_login(response: Any) -> bool:
    return response.status_code == 302 and response.location.startswith("/login")


def _logged_in(app: Flask, email: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, email, password).status_code == 302
    assert client.get("/admin/").status_code == 200
    return client


def test_a_copied_cookie_opens_nothing_after_logout(app, make_user) -> None:
    make_user("producer@example.org")
    browser = _logged_in(app, "producer@example.org")
    copied = _session_cookie(browser)
    assert _replay(app, copied).status_code == 200  # the copy works while the session lives

    token = csrf_token(browser.get("/admin/").get_data(as_text=True))
    assert _sent_to_login(browser.post("/logout", data={"csrf_token": token}))

    assert _sent_to_login(_replay(app, copied))
    assert _sent_to_login(browser.get("/admin/"))


def test_logout_ends_the_sessions_on_other_devices_too(app, make_user) -> None:
    make_user("producer@example.org")
    laptop = _logged_in(app, "producer@example.org")
    phone = _logged_in(app, "producer@example.org")
    token = csrf_token(laptop.get("/admin/").get_data(as_text=True))
    laptop.post("/logout", data={"csrf_token": token})
    assert _sent_to_login(phone.get("/admin/"))
    # Logging in again works, and only the new session is alive.
    again = _logged_in(app, "producer@example.org")
    assert again.get("/admin/show").status_code == 200
    assert _sent_to_login(phone.get("/admin/"))


def test_deactivation_ends_sessions_even_after_reactivation(app, make_user) -> None:
    producer = make_user("producer@example.org")
    make_user("admin@example.org", "admin")
    browser = _logged_in(app, "producer@example.org")
    copied = _session_cookie(browser)
    admin = _logged_in(app, "admin@example.org")

    def set_active(value: str) -> None:
        token = csrf_token(admin.get("/admin/users").get_data(as_text=True))
        response = admin.post(
            f"/admin/users/{producer.id}/active", data={"active": value, "csrf_token": token}
        )
        assert response.status_code == 302

    set_active("0")
    assert _sent_to_login(_replay(app, copied))
    set_active("1")  # the account is back, its old sessions are not
    assert _sent_to_login(_replay(app, copied))
    assert _sent_to_login(browser.get("/admin/"))
    assert _logged_in(app, "producer@example.org").get("/admin/").status_code == 200


def _change_password(client: FlaskClient, current: str, new: str) -> Any:
    token = csrf_token(client.get("/admin/account").get_data(as_text=True))
    return client.post(
        "/admin/account",
        data={"current_password": current, "new_password": new, "csrf_token": token},
    )


def test_a_new_password_ends_every_other_session(app, make_user) -> None:
    make_user("producer@example.org")
    other_device = _logged_in(app, "producer@example.org")
    browser = _logged_in(app, "producer@example.org")
    copied = _session_cookie(browser)

    response = _change_password(browser, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response.location == "/admin/account"
    page = browser.get("/admin/account").get_data(as_text=True)
    assert "every other session of yours has ended" in page  # and this one goes on

    assert _sent_to_login(_replay(app, copied))
    assert _sent_to_login(other_device.get("/admin/"))
    assert not _authenticates(PASSWORD)
    assert _logged_in(app, "producer@example.org", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("current", "new", "field", "message"),
    [
        ("wrong password", NEW_PASSWORD, "current_password", "not your current password"),
        (PASSWORD, "short", "new_password", "At least 10 characters"),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    app, make_user, current, new, field, message
) -> None:
    from lxml import html as lxml_html

    make_user("producer@example.org")
    browser = _logged_in(app, "producer@example.org")
    copied = _session_cookie(browser)
    response = _change_password(browser, current, new)
    assert response.status_code == 422
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    assert message in doc.get_element_by_id(f"{field}-error").text_content()
    assert not doc.xpath("//input[@type='password'][@value!='']"), "a password was sent back"
    assert _replay(app, copied).status_code == 200
    assert _authenticates(PASSWORD)


def test_guessing_the_current_password_is_throttled(app, make_user) -> None:
    make_user("producer@example.org")
    browser = _logged_in(app, "producer@example.org")
    statuses = [_change_password(browser, f"guess {n}", NEW_PASSWORD).status_code for n in range(6)]
    assert statuses[:5] == [422] * 5 and statuses[5] == 429
    # The same count as the log-in form's: the account's log-in waits too.
    assert log_in(app.test_client(), "producer@example.org", PASSWORD).status_code == 429
    assert _change_password(browser, PASSWORD, NEW_PASSWORD).status_code == 429


def test_set_password_on_the_command_line_ends_every_session(app, runner, make_user) -> None:
    make_user("producer@example.org")
    copied = _session_cookie(_logged_in(app, "producer@example.org"))
    result = runner.invoke(
        args=["set-password", "Producer@Example.org", "--password", NEW_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert "every session of the account has ended" in result.output
    assert _sent_to_login(_replay(app, copied))
    assert _logged_in(app, "producer@example.org", NEW_PASSWORD)


def test_set_password_refuses_a_short_one_and_an_unknown_account(runner, make_user) -> None:
    make_user("producer@example.org")
    short = runner.invoke(args=["set-password", "producer@example.org", "--password", "short"])
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    unknown = runner.invoke(args=["set-password", "nobody@example.org", "--password", NEW_PASSWORD])
    assert unknown.exit_code == 1 and "No account for nobody@example.org" in unknown.output


@pytest.mark.parametrize(
    ("session_id", "loads"),
    [("{id}:{gen}", True), ("{id}:{old}", False), ("{id}", False), ("{id}:", False), ("", False),
     ("{id}:{gen}:0", False), ("x:{gen}", False), ("{id}:-1", False), ("٣:{gen}", False)],
)  # fmt: skip
def test_only_the_current_generation_loads(app, make_user, session_id, loads) -> None:
    user = make_user("producer@example.org")
    user.session_generation = 3
    db.session.commit()
    value = session_id.format(id=user.id, gen=3, old=2)
    assert (load_user(value) is not None) is loads


def test_a_session_from_before_generations_is_generation_zero(app, make_user) -> None:
    user = make_user("producer@example.org")
    assert load_user(str(user.id)) is not None  # cookies issued before this change still work
    user.session_generation = 1  # ... until the first logout, new password or deactivation
    db.session.commit()
    assert load_user(str(user.id)) is None
    assert isinstance(load_user(user.get_id()), User)
