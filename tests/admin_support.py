"""Helpers for the admin tests: sign a client in (with Flask-Login's strong session id), forms."""

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


def session_identifier(app: Flask, client: FlaskClient) -> str:
    """The id Flask-Login's strong session protection expects for this client."""
    with app.test_request_context(environ_base=client.environ_base):
        return login_manager._session_identifier_generator()


@pytest.fixture
def sign_in(app: Flask, client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """Log the client in as a new user of a role (like conftest's `login`, plus the session id)."""

    def do(role: str = "producer", email: str | None = None) -> User:
        user = make_user(email or f"{role}@example.org", role)
        same_origin(client)
        ident = session_identifier(app, client)
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            session["_id"] = ident
        return user

    return do


@pytest.fixture
def no_csrf(app: Flask) -> Flask:
    """The app with CSRF checks off, for tests about other things."""
    app.config["WTF_CSRF_ENABLED"] = False
    return app
