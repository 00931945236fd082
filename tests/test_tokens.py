"""API tokens can be listed (with their last use), revoked and made to expire: on the API, in the
admin and on the command line. A revoked or expired token gets a 401 that says so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from lxml import html as lxml_html
from sqlalchemy import event, select

from podcast.extensions import db
from podcast.models import ApiToken, User, utcnow
from podcast.services.accounts import (
    LAST_USED_RESOLUTION,
    authenticate_token,
    create_token,
    hash_token,
    record_token_use,
)

API = "/api/v1"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _row(token: str) -> ApiToken:
    db.session.expire_all()
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))


def _refusal(client: Any, token: str) -> str:
    response = client.get(f"{API}/episodes", headers=_bearer(token))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    error = response.get_json()["error"]
    assert error["code"] == "unauthorized"
    return str(error["message"])


@pytest.fixture
def producer(make_user: Any) -> User:
    """A producer with two tokens of their own."""
    return make_user("producer@example.org")


def test_the_api_lists_the_callers_tokens_with_their_last_use(client, producer, make_user):
    laptop = create_token(db.session, producer, "laptop")
    create_token(db.session, producer, "CI «Маджлис»")
    create_token(db.session, make_user("someone@example.org"), "not theirs")
    assert _row(laptop).last_used_at is None
    assert client.get(f"{API}/episodes", headers=_bearer(laptop)).status_code == 200

    response = client.get(f"{API}/tokens", headers=_bearer(laptop))
    assert response.status_code == 200
    body = response.get_json()
    assert [t["label"] for t in body["items"]] == ["CI «Маджлис»", "laptop"]
    assert body["next"] is None
    mine = {t["label"]: t for t in body["items"]}
    assert mine["laptop"]["current"] is True and mine["CI «Маджлис»"]["current"] is False
    assert mine["laptop"]["state"] == "active" and mine["laptop"]["expires_at"] is None
    assert mine["laptop"]["last_used_at"] is not None  # the request before used it
    assert mine["CI «Маджлис»"]["last_used_at"] is None
    assert _row(laptop).last_used_at is not None
    assert all("token" not in t and "token_hash" not in t for t in body["items"])


def test_last_use_is_written_once_a_minute_not_once_a_request(app, client, producer):
    token = create_token(db.session, producer)
    writes: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKEN"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            assert client.get(f"{API}/episodes", headers=_bearer(token)).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(writes) == 1


def test_last_use_moves_on_after_a_minute(app, producer):
    start = utcnow()
    token = create_token(db.session, producer, now=start)
    token_id = authenticate_token(db.session, token, now=start)[1].id
    record_token_use(db.session, token_id, now=start)
    record_token_use(db.session, token_id, now=start + timedelta(seconds=59))
    assert _row(token).last_used_at == start
    later = start + LAST_USED_RESOLUTION
    record_token_use(db.session, token_id, now=later)
    assert _row(token).last_used_at == later


def test_a_revoked_token_is_refused_with_a_sentence(client, producer):
    token = create_token(db.session, producer, "old laptop")
    spare = create_token(db.session, producer, "spare")
    token_id = _row(token).id
    response = client.delete(f"{API}/tokens/{token_id}", headers=_bearer(spare))
    assert response.status_code == 204
    message = _refusal(client, token)
    assert message.startswith("This API token was revoked on ") and "ask for a new one" in message
    listed = client.get(f"{API}/tokens", headers=_bearer(spare)).get_json()["items"]
    assert {t["id"]: t["state"] for t in listed}[token_id] == "revoked"
    # Revoking it again changes nothing; the caller may also revoke the token it is using.
    assert client.delete(f"{API}/tokens/{token_id}", headers=_bearer(spare)).status_code == 204
    own = client.delete(f"{API}/tokens/{_row(spare).id}", headers=_bearer(spare))
    assert own.status_code == 204
    assert "revoked" in _refusal(client, spare)


def test_a_producer_cannot_revoke_someone_elses_token(client, producer, make_user):
    theirs = create_token(db.session, make_user("someone@example.org"))
    mine = create_token(db.session, producer)
    response = client.delete(f"{API}/tokens/{_row(theirs).id}", headers=_bearer(mine))
    assert response.status_code == 404
    assert client.get(f"{API}/episodes", headers=_bearer(theirs)).status_code == 200
    assert client.delete(f"{API}/tokens/99999", headers=_bearer(mine)).status_code == 404


def test_an_admin_can_revoke_anyones_token(client, producer, make_user):
    theirs = create_token(db.session, producer)
    admin = create_token(db.session, make_user("admin@example.org", "admin"))
    response = client.delete(f"{API}/tokens/{_row(theirs).id}", headers=_bearer(admin))
    assert response.status_code == 204
    assert "revoked" in _refusal(client, theirs)


def test_an_expired_token_is_refused_with_a_sentence(client, producer):
    created = utcnow() - timedelta(days=8)
    expired = create_token(db.session, producer, expires_in_days=7, now=created)
    fresh = create_token(db.session, producer, expires_in_days=7)
    message = _refusal(client, expired)
    when = (created + timedelta(days=7)).strftime("%Y-%m-%d %H:%M UTC")
    assert message == f"This API token expired on {when}; ask for a new one."
    assert client.get(f"{API}/episodes", headers=_bearer(fresh)).status_code == 200
    listed = client.get(f"{API}/tokens", headers=_bearer(fresh)).get_json()["items"]
    states = {t["id"]: t["state"] for t in listed}
    assert states[_row(expired).id] == "expired" and states[_row(fresh).id] == "active"


def test_a_deactivated_accounts_token_says_so(client, producer):
    token = create_token(db.session, producer)
    producer.active = False
    db.session.commit()
    assert _refusal(client, token) == "The account this API token belongs to is deactivated."


def test_an_unknown_token_is_still_just_not_valid(client, producer):
    assert _refusal(client, "pod_nothing") == "This bearer token is not valid."


# --- the command line -------------------------------------------------------------------------


def test_create_token_with_an_expiry_and_list_and_revoke_it(runner, client, producer):
    created = runner.invoke(
        args=["create-token", "producer@example.org", "--label", "ci", "--expires-in", "30"]
    )
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    row = _row(token)
    assert row.expires_at is not None
    assert timedelta(days=29, hours=23) < row.expires_at - row.created_at <= timedelta(days=30)
    assert client.get(f"{API}/episodes", headers=_bearer(token)).status_code == 200

    listed = runner.invoke(args=["list-tokens", "Producer@example.org"])
    assert listed.exit_code == 0, listed.output
    header, line = listed.output.strip().splitlines()
    assert header.split("\t") == ["id", "state", "created", "last used", "expires", "label"]
    fields = line.split("\t")
    assert fields[0] == str(row.id) and fields[1] == "active" and fields[5] == "ci"
    assert fields[3] != "never"  # the request above used it

    revoked = runner.invoke(args=["revoke-token", str(row.id)])
    assert revoked.exit_code == 0, revoked.output
    assert f"Token {row.id} of producer@example.org is revoked." in revoked.output
    assert "revoked" in _refusal(client, token)
    assert "\trevoked\t" in runner.invoke(args=["list-tokens", "producer@example.org"]).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-token", "producer@example.org", "--expires-in", "0"], "1 to 3650 days"),
        (["create-token", "nobody@example.org"], "No account for nobody@example.org"),
        (["list-tokens", "nobody@example.org"], "No account for nobody@example.org"),
        (["revoke-token", "4242"], "There is no API token 4242"),
    ],
)
def test_token_commands_refuse_with_a_sentence(runner, producer, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert message in result.output


def test_list_tokens_of_an_account_without_any(runner, producer):
    result = runner.invoke(args=["list-tokens", "producer@example.org"])
    assert result.exit_code == 0 and "has no API tokens" in result.output


# --- the admin ----------------------------------------------------------------------------------


def _rows(page: bytes) -> dict[str, dict[str, str]]:
    doc = lxml_html.fromstring(page)
    return {
        row.get("id"): {
            "state": row.find_class("state")[0].text_content().strip(),
            "last_used": row.find_class("last-used")[0].text_content().strip(),
            "text": row.text_content(),
        }
        for row in doc.find_class("token-row")
    }


def test_the_admin_lists_a_producers_own_tokens_and_revokes_one(
    app, client, login, no_csrf, make_user
):
    producer = login("producer")
    token = create_token(db.session, producer, "laptop")
    client.get(f"{API}/episodes", headers=_bearer(token))
    create_token(db.session, make_user("someone@example.org"), "not yours")
    row_id = f"token-{_row(token).id}"

    rows = _rows(client.get("/admin/tokens").data)
    assert list(rows) == [row_id]
    assert rows[row_id]["state"] == "active" and rows[row_id]["last_used"] != "never"

    response = client.post(f"/admin/tokens/{_row(token).id}/revoke")
    assert response.status_code == 302
    assert "is revoked" in client.get(response.location).get_data(as_text=True)
    assert _rows(client.get("/admin/tokens").data)[row_id]["state"].startswith("revoked")
    assert "revoked" in _refusal(client, token)


def test_a_producer_cannot_revoke_another_accounts_token_in_the_admin(
    client, login, no_csrf, make_user
):
    login("producer")
    theirs = create_token(db.session, make_user("someone@example.org"))
    assert client.post(f"/admin/tokens/{_row(theirs).id}/revoke").status_code == 404
    assert client.get(f"{API}/episodes", headers=_bearer(theirs)).status_code == 200


def test_an_admin_sees_every_accounts_tokens(client, login, make_user):
    login("admin")
    create_token(db.session, make_user("someone@example.org"), "theirs")
    rows = _rows(client.get("/admin/tokens").data)
    assert len(rows) == 1
    assert "someone@example.org" in next(iter(rows.values()))["text"]
