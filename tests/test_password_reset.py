"""A forgotten password reset by a mailed link, and invitations: through a real SMTP server.

The mail goes out from a job (run here with run_queued) to a server on 127.0.0.1; the link in
it is followed with the test client, as the person would in a browser.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from lxml import html as lxml_html
from sqlalchemy import select
from support.api import app_with
from support.auth import sign_in_as
from support.data import PASSWORD
from test_auth import csrf_token, log_in

from podcast.config import load_settings
from podcast.errors import ConfigError
from podcast.extensions import db
from podcast.jobs import Job, run_queued
from podcast.models import ShowMember, User
from podcast.services.account_links import Purpose, make_link_token

NEW_PASSWORD = "a brand new passphrase"
SENT = "If an account uses that address, we have sent it a link."
_LINK = re.compile(r"https://podcast\.example\.org(/login/(?:reset|welcome)/\S+)")


@pytest.fixture
def app(tmp_path: Path, _postgres_schema: str | None, smtp_server: Any) -> Any:
    """The app sending mail to the test SMTP server."""
    with app_with(tmp_path, _postgres_schema, SMTP_URL=smtp_server.url) as application:
        yield application


def _post(client: FlaskClient, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """Submit the form on the page at `path`, CSRF token included."""
    client.environ_base["HTTP_REFERER"] = "https://localhost/login"
    token = csrf_token(client.get(path, **kwargs).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def _forgot(client: FlaskClient, email: str, address: str = "203.0.113.7") -> Any:
    environ = {"environ_base": {"REMOTE_ADDR": address}}
    return _post(client, "/login/forgot", {"email": email}, **environ)


def _text(response: Any) -> str:
    return " ".join(lxml_html.fromstring(response.get_data(as_text=True)).text_content().split())


def _link_in(message: Any) -> str:
    match = _LINK.search(message.get_content())
    assert match, f"no link in the mail: {message.get_content()!r}"
    return match.group(1)


def _choose(client: FlaskClient, path: str, password: str = NEW_PASSWORD, **more: str) -> Any:
    return _post(client, path, {"password": password, **more})


def test_the_mailed_link_resets_the_password_once(app, client, make_user, smtp_server) -> None:
    make_user("producer@example.org")
    other_device = app.test_client()
    assert log_in(other_device, "producer@example.org", PASSWORD).status_code == 302
    login_page = lxml_html.fromstring(client.get("/login").get_data(as_text=True))
    assert login_page.xpath("//a[@href='/login/forgot']/text()") == ["Forgot password?"]

    answer = _forgot(client, "Producer@Example.org")
    assert answer.status_code == 200 and SENT in _text(answer)
    assert smtp_server.messages == []  # sent by the worker, not the request
    run_queued()

    [mail] = smtp_server.messages
    assert mail["To"] == "producer@example.org" and mail["From"] == "podcast@podcast.example.org"
    assert "Reset your password" in mail["Subject"]
    assert smtp_server.logins == [("mailer", "s3cret")]
    link = _link_in(mail)
    opened = client.get(link)
    assert "Choose a new password" in _text(opened)
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in opened.headers["Cache-Control"]

    done = _choose(client, link)
    assert done.status_code == 302 and done.location == "/admin/"
    assert client.get("/admin/").status_code == 200  # logged in with the new password
    assert other_device.get("/admin/").status_code == 302  # the other session has ended
    assert log_in(app.test_client(), "producer@example.org", PASSWORD).status_code == 200
    assert log_in(app.test_client(), "producer@example.org", NEW_PASSWORD).status_code == 302

    again = app.test_client()
    refused = again.get(link)
    assert refused.status_code == 422
    assert "not valid or was already used" in _text(refused)
    assert not lxml_html.fromstring(refused.get_data(as_text=True)).xpath(
        "//input[@type='password']"
    )
    token = csrf_token(client.get("/login/forgot").get_data(as_text=True))
    replay = again.post(link, data={"password": "another new passphrase", "csrf_token": token})
    assert replay.status_code in (400, 422)
    assert log_in(app.test_client(), "producer@example.org", NEW_PASSWORD).status_code == 302


def test_a_short_password_is_refused_and_the_link_still_works(client, make_user) -> None:
    user = make_user("producer@example.org")
    link = "/login/reset/" + make_link_token("test-secret", user, Purpose.RESET)
    refused = _choose(client, link, "short")
    assert refused.status_code == 422 and "At least 10 characters" in _text(refused)
    assert _choose(client, link).status_code == 302


def test_an_expired_link_is_refused_with_a_clear_message(client, make_user) -> None:
    user = make_user("producer@example.org")
    an_hour_ago = int(time.time()) - 3600 - 60
    token = make_link_token("test-secret", user, Purpose.RESET, issued_at=an_hour_ago)
    page = client.get(f"/login/reset/{token}")
    assert page.status_code == 422
    assert "This reset link has expired (it lasts one hour)" in _text(page)
    assert log_in(client, "producer@example.org", PASSWORD).status_code == 302


def test_a_link_signed_for_an_invitation_does_not_reset(client, make_user) -> None:
    user = make_user("producer@example.org")
    token = make_link_token("test-secret", user, Purpose.INVITE)
    assert client.get(f"/login/reset/{token}").status_code == 422
    assert client.get(f"/login/reset/{token[:-2]}xx").status_code == 422


def test_an_unknown_address_gets_the_same_page_and_no_mail(client, make_user, smtp_server) -> None:
    make_user("producer@example.org")
    known = _text(_forgot(client, "producer@example.org"))
    unknown = _forgot(client.application.test_client(), "nobody@example.org")
    assert unknown.status_code == 200 and _text(unknown) == known
    run_queued()
    assert [m["To"] for m in smtp_server.messages] == ["producer@example.org"]


def test_reset_requests_are_throttled_per_address_and_per_client(client, make_user) -> None:
    make_user("producer@example.org")
    for _ in range(3):
        assert _forgot(client, "producer@example.org").status_code == 200
    blocked = _forgot(client, "producer@example.org", address="198.51.100.9")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Too many reset requests. Try again in" in _text(blocked)
    run_queued()
    assert len(list(db.session.scalars(select(Job).where(Job.kind == "mail.account_link")))) == 3

    for number in range(10):
        assert _forgot(client, f"someone{number}@example.org", "192.0.2.1").status_code == 200
    assert _forgot(client, "someone-else@example.org", "192.0.2.1").status_code == 429
    assert _forgot(client, "someone-else@example.org", "192.0.2.2").status_code == 200


def test_without_smtp_the_page_says_reset_is_not_set_up(tmp_path, _postgres_schema, make_user):
    with app_with(tmp_path / "nomail", _postgres_schema) as application:
        client = application.test_client()
        login_page = lxml_html.fromstring(client.get("/login").get_data(as_text=True))
        assert not login_page.xpath("//a[@href='/login/forgot']")
        page = _text(client.get("/login/forgot"))
        assert "Password reset by email is not set up here. Ask an admin" in page
        assert "Send the link" not in page


def test_an_invitation_by_mail_ends_with_the_invitee_logged_in(
    app, client, login, show, second_show, smtp_server
) -> None:
    login("admin")
    data = {"invite-email": "New.Person@example.org", "invite-role": "producer"}
    sent = _post_invite(client, data, [second_show.id])
    assert sent.status_code == 302
    assert "Invited new.person@example.org: we sent them a link." in _text(
        client.get("/admin/users")
    )
    run_queued()
    [mail] = smtp_server.messages
    assert mail["To"] == "new.person@example.org" and "invited" in mail["Subject"]
    link = _link_in(mail)
    assert link.startswith("/login/welcome/")

    invitee = app.test_client()
    assert log_in(invitee, "new.person@example.org", PASSWORD).status_code == 200  # no way in yet
    assert "Choose your password" in _text(invitee.get(link))
    nameless = _choose(invitee, link, name="  ")
    assert nameless.status_code == 422 and "Enter your name" in _text(nameless)
    assert _choose(invitee, link, name=" Dilfuza  Kurolova ").status_code == 302
    assert invitee.get("/admin/").status_code == 200
    user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert user.role.value == "producer" and user.name == "Dilfuza Kurolova"
    assert "Dilfuza Kurolova" in _text(client.get("/admin/users"))
    members = db.session.scalars(select(ShowMember.show_id).where(ShowMember.user_id == user.id))
    assert list(members) == [second_show.id]
    assert app.test_client().get(link).status_code == 422  # used


def _post_invite(client: FlaskClient, data: dict[str, str], shows: list[int]) -> Any:
    token = csrf_token(client.get("/admin/users").get_data(as_text=True))
    form = {**data, "show": [str(s) for s in shows], "invite-csrf_token": token}
    return client.post("/admin/users/invite", data=form)


def test_an_invitation_expires_after_seven_days(client, make_user) -> None:
    user = make_user("new@example.org")
    eight_days_ago = int(time.time()) - 8 * 24 * 3600
    token = make_link_token("test-secret", user, Purpose.INVITE, issued_at=eight_days_ago)
    page = client.get(f"/login/welcome/{token}")
    assert page.status_code == 422 and "This invitation has expired" in _text(page)


def test_an_existing_address_cannot_be_invited(client, login, make_user, smtp_server) -> None:
    login("admin")
    make_user("producer@example.org")
    data = {"invite-email": "producer@example.org", "invite-role": "producer"}
    refused = _post_invite(client, data, [])
    assert refused.status_code == 409 and "already exists" in _text(refused)
    run_queued()
    assert smtp_server.messages == []


def test_without_smtp_the_admin_gets_the_invitation_link(tmp_path, _postgres_schema) -> None:
    with app_with(tmp_path / "nomail", _postgres_schema) as application:
        from podcast.current import passwords
        from podcast.services.accounts import create_user

        admin = create_user(db.session, "admin@example.org", PASSWORD, "admin",
                            passwords=passwords())  # fmt: skip
        client = sign_in_as(application.test_client(), admin)
        page = _text(client.get("/admin/users"))
        assert "Mail is not set up here: you will get the link to pass on yourself" in page
        data = {"invite-email": "new@example.org", "invite-role": "admin"}
        assert _post_invite(client, data, []).status_code == 302
        page = _text(client.get("/admin/users"))
        assert "Mail is not set up here, so send them this link yourself" in page
        match = _LINK.search(page)
        assert match and match.group(1).startswith("/login/welcome/")
        invitee = application.test_client()
        assert _choose(invitee, match.group(1), name="New Person").status_code == 302
        assert log_in(application.test_client(), "new@example.org", NEW_PASSWORD).status_code == 302


def test_the_mail_speaks_the_users_language(app, client, make_user, smtp_server) -> None:
    user = make_user("producer@example.org")
    user.locale = "ru"
    db.session.commit()
    _forgot(client, "producer@example.org")
    run_queued()
    [mail] = smtp_server.messages
    assert "Сброс пароля" in mail["Subject"]
    assert "/login/reset/" in mail.get_content()


def test_a_bad_smtp_url_fails_at_start_up_without_showing_the_password(tmp_path: Path) -> None:
    environ = {"PODCAST_SMTP_URL": "mail://mailer:s3cret@example.org", "PODCAST_SECRET_KEY": "k"}
    with pytest.raises(ConfigError) as error:
        load_settings(tmp_path, environ)
    assert "PODCAST_SMTP_URL" in str(error.value) and "smtps://" in str(error.value)
    assert "s3cret" not in str(error.value)
    with pytest.raises(ConfigError, match="PODCAST_MAIL_FROM"):
        load_settings(tmp_path, {"PODCAST_MAIL_FROM": "not an address", "PODCAST_SECRET_KEY": "k"})
    settings = load_settings(tmp_path, {"PODCAST_SMTP_URL": "smtps://mail.example.org",
                                        "PODCAST_SECRET_KEY": "k"})  # fmt: skip
    assert settings.SMTP_URL == "smtps://mail.example.org"


def test_a_mail_server_that_is_down_fails_the_job_with_a_reason(tmp_path, _postgres_schema):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"smtp://mailer:s3cret@127.0.0.1:{port}"
    with app_with(tmp_path / "down", _postgres_schema, SMTP_URL=url) as application:
        from podcast.current import passwords
        from podcast.services.accounts import create_user

        create_user(db.session, "producer@example.org", PASSWORD, passwords=passwords())
        client = application.test_client()
        assert SENT in _text(_forgot(client, "producer@example.org"))  # the page is the same
        run_queued()
        db.session.expire_all()
        job = db.session.scalar(select(Job).where(Job.kind == "mail.account_link"))
        assert job is not None and job.attempts == 1
        assert "The mail server 127.0.0.1 did not take the mail" in job.error
        assert "s3cret" not in job.error
