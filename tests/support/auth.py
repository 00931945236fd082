"""Signing a test client in (with Flask-Login's strong session id), same-origin forms, CSRF off."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from podcast.extensions import login_manager
from podcast.models import User


def same_origin(client: FlaskClient) -> FlaskClient:
    """Send a same-site Referer, as browsers do: Flask-WTF checks it on HTTPS requests."""
    client.environ_base["HTTP_REFERER"] = "https://localhost/admin/"
    return client


def sign_in_as(client: FlaskClient, user: User) -> FlaskClient:
    """Put the user's login in the client's session cookie, as the log-in form would."""
    same_origin(client)
    # Flask-Login's "strong" protection also checks _id, a hash of the client's address and
    # user agent; compute it as a request from this client would.
    with client.application.test_request_context(environ_base=client.environ_base):
        identifier = login_manager._session_identifier_generator()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["_id"] = identifier
    return client


@pytest.fixture
def login(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """Log the test client in as a new user of the given role: login("admin")."""

    def do_login(role: str = "producer", email: str | None = None) -> User:
        user = make_user(email or f"{role}@example.org", role)
        sign_in_as(client, user)
        return user

    return do_login


@pytest.fixture
def no_csrf(app: Flask) -> Flask:
    """The app with CSRF checks off, for tests about other things."""
    app.config["WTF_CSRF_ENABLED"] = False
    return app
