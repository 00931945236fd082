"""Logging in and out: the real form, CSRF, cookie flags, throttling (in-process and Redis)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select
from support.app import make_app
from support.auth import same_origin
from support.data import PASSWORD

from podcast.extensions import db
from podcast.models import Episode
from podcast.services.throttle import LoginThrottle, MemoryCounter, RedisCounter

REDIS_URL = "redis://127.0.0.1:6379/0"
_CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token in a rendered form."""
    match = _CSRF.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def log_in(client: Any, email: str, password: str, **extra: Any) -> Any:
    """Submit the real log-in form, CSRF token included."""
    environ = extra.pop("environ_base", {})
    same_origin(client)
    token = csrf_token(client.get("/login", environ_base=environ).get_data(as_text=True))
    data = {"email": email, "password": password, "csrf_token": token, **extra}
    return client.post("/login", data=data, environ_base=environ)


def test_login_form_fields_are_named_email_and_password(client) -> None:
    doc = lxml_html.fromstring(client.get("/login").get_data(as_text=True))
    names = {element.get("name") for element in doc.xpath("//form//input")}
    assert {"email", "password", "csrf_token"} <= names
    assert doc.xpath("//label[@for='email']") and doc.xpath("//label[@for='password']")


def test_log_in_and_out_with_the_real_form(client, make_user) -> None:
    make_user("producer@example.org")
    assert client.get("/admin/").status_code == 302
    response = log_in(client, "Producer@Example.org ", PASSWORD)
    assert response.status_code == 302 and response.location == "/admin/"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert client.get("/admin/").status_code == 200
    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_wrong_password_says_so_and_does_not_log_in(client, make_user) -> None:
    make_user("producer@example.org")
    response = log_in(client, "producer@example.org", "wrong password!")
    assert response.status_code == 200
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_next_is_followed_only_within_the_site(client, make_user) -> None:
    make_user("producer@example.org")
    response = log_in(client, "producer@example.org", PASSWORD, next="/admin/guests")
    assert response.location == "/admin/guests"
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/admin/").text)})
    response = log_in(client, "producer@example.org", PASSWORD, next="https://evil.example/")
    assert response.location == "/admin/"
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/admin/").text)})
    response = log_in(client, "producer@example.org", PASSWORD, next="//evil.example/x")
    assert response.location == "/admin/"


def test_anonymous_admin_page_redirects_to_login_with_next(client) -> None:
    response = client.get("/admin/guests")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=%2Fadmin%2Fguests")


def test_a_deactivated_account_cannot_log_in(client, make_user) -> None:
    user = make_user("gone@example.org")
    user.active = False
    db.session.commit()
    response = log_in(client, "gone@example.org", PASSWORD)
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_repeated_failures_for_one_account_are_throttled(client, make_user) -> None:
    make_user("producer@example.org")
    for _ in range(4):
        assert log_in(client, "producer@example.org", "nope nope nope").status_code == 200
    fifth = log_in(client, "producer@example.org", "nope nope nope")
    assert fifth.status_code == 429
    assert "Try again in 15 minutes" in fifth.get_data(as_text=True)
    assert 840 < int(fifth.headers["Retry-After"]) <= 900
    # Even the right password waits; the form keeps the email typed.
    blocked = log_in(client, "producer@example.org", PASSWORD)
    assert blocked.status_code == 429
    assert lxml_html.fromstring(blocked.text).get_element_by_id("email").get("value") == (
        "producer@example.org"
    )
    assert client.get("/admin/").status_code == 302


def test_failures_from_one_address_are_throttled_across_accounts(app, client, make_user) -> None:
    app.config["LOGIN_ADDRESS_LIMIT"] = 3
    make_user("producer@example.org")
    here = {"REMOTE_ADDR": "203.0.113.7"}
    for n in range(2):
        assert (
            log_in(client, f"guess{n}@example.org", "x" * 12, environ_base=here).status_code == 200
        )
    assert log_in(client, "guess9@example.org", "x" * 12, environ_base=here).status_code == 429
    assert log_in(client, "producer@example.org", PASSWORD, environ_base=here).status_code == 429
    elsewhere = {"REMOTE_ADDR": "198.51.100.9"}
    response = log_in(client, "producer@example.org", PASSWORD, environ_base=elsewhere)
    assert response.status_code == 302


def test_a_good_login_clears_the_account_count(client, make_user) -> None:
    make_user("producer@example.org")
    for _ in range(4):
        log_in(client, "producer@example.org", "nope nope nope")
    assert log_in(client, "producer@example.org", PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/admin/").text)})
    for _ in range(4):
        assert log_in(client, "producer@example.org", "nope nope nope").status_code == 200


def test_the_window_passes_and_attempts_are_allowed_again() -> None:
    now = [1000.0]
    throttle = LoginThrottle(MemoryCounter(clock=lambda: now[0]), account_limit=2, window=60)
    throttle.failed("a@example.org", "192.0.2.1")
    throttle.failed("a@example.org", "192.0.2.1")
    blocked = throttle.check("a@example.org", "192.0.2.1")
    assert blocked is not None and blocked.retry_after == 60
    assert blocked.message == "Too many failed log-in attempts. Try again in 60 seconds."
    now[0] += 59
    assert throttle.check("a@example.org", "192.0.2.1").retry_after == 1
    now[0] += 2
    assert throttle.check("a@example.org", "192.0.2.1") is None


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")


def test_with_redis_every_worker_sees_the_same_count(tmp_path) -> None:
    _redis_or_skip()
    prefix = f"podcast-test:{uuid.uuid4().hex}:"
    settings = {
        "REDIS_URL": REDIS_URL,
        "THROTTLE_REDIS_PREFIX": prefix,
        "WTF_CSRF_ENABLED": False,
    }
    # Two apps stand for two gunicorn workers (or hosts) sharing one Redis and one database.
    first = make_app(tmp_path, **settings)
    second = make_app(tmp_path, **settings)
    with first.app_context():
        db.create_all()
    try:
        for _ in range(5):
            first.test_client().post("/login", data={"email": "a@example.org", "password": "x"})
        response = second.test_client().post(
            "/login", data={"email": "a@example.org", "password": "x"}
        )
        assert response.status_code == 429
        assert "Try again in 15 minutes" in response.get_data(as_text=True)
        counter = RedisCounter(REDIS_URL, prefix)
        assert counter.count("account:a@example.org")[0] == 5
    finally:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
        for application in (first, second):
            with application.app_context():
                db.engine.dispose()


def test_redis_down_falls_back_to_counting_in_process() -> None:
    counter = RedisCounter("redis://127.0.0.1:1/0")  # nothing listens on port 1
    throttle = LoginThrottle(counter, account_limit=2)
    throttle.failed("a@example.org", "192.0.2.1")
    throttle.failed("a@example.org", "192.0.2.1")
    assert throttle.check("a@example.org", "192.0.2.1") is not None


def test_login_without_a_csrf_token_is_refused_but_keeps_the_email(client, make_user) -> None:
    make_user("producer@example.org")
    same_origin(client)
    response = client.post("/login", data={"email": "producer@example.org", "password": PASSWORD})
    assert response.status_code == 400
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    assert "Your session expired; check and submit again" in doc.text_content()
    assert doc.get_element_by_id("email").get("value") == "producer@example.org"
    assert doc.get_element_by_id("password").get("value") in (None, "")
    assert client.get("/admin/").status_code == 302


def test_a_stale_episode_form_keeps_what_was_typed(client, login, show) -> None:
    login()
    response = client.post(
        "/admin/episodes/new",
        data={
            "csrf_token": "stale-token",
            "title": "Half an hour of typing",
            "description": "Long *notes*",
            "season": "3",
            "action": "publish",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    assert "Your session expired; check and submit again" in doc.text_content()
    assert doc.get_element_by_id("title").get("value") == "Half an hour of typing"
    assert doc.get_element_by_id("description").text_content().strip() == "Long *notes*"
    assert doc.get_element_by_id("season").get("value") == "3"
    assert db.session.scalar(select(func.count(Episode.id))) == 0
    # The re-rendered form carries a fresh token that works.
    token = doc.xpath("//input[@name='csrf_token']/@value")[0]
    again = client.post(
        "/admin/episodes/new",
        data={"csrf_token": token, "title": "Half an hour of typing", "action": "draft"},
        content_type="multipart/form-data",
    )
    assert again.status_code == 302
    assert db.session.scalar(select(func.count(Episode.id))) == 1


def test_csrf_is_enforced_on_admin_actions(client, login, make_episode) -> None:
    episode = make_episode("Stays")
    login()
    response = client.post(f"/admin/episodes/{episode.id}/delete")
    assert response.status_code == 400
    assert "session expired" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Episode.id))) == 1
    upload = client.post("/admin/uploads/audio", data={})
    assert upload.status_code == 400
    assert upload.get_json()["error"]["code"] == "session_expired"


def test_admin_and_api_responses_are_never_cached(client, login, api_token):
    login("producer")
    assert client.get("/admin/").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/show", headers=api_token()).headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"
