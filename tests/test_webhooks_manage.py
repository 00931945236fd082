"""Admins manage the show's webhooks in the API and the admin, and read the delivery log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select

from podcast.extensions import db
from podcast.models import Webhook, WebhookDelivery, utcnow

HOOKS = "/api/v1/webhooks"
PUBLIC = "https://93.184.216.34/hooks/podcast"  # a literal public address: no DNS needed


@pytest.fixture
def admin(api_token, show):
    """An admin's token."""
    return api_token("admin")


def test_admin_adds_lists_and_removes_a_webhook(client, admin):
    response = client.post(HOOKS, headers=admin, json={"url": PUBLIC})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"{HOOKS}/{body['id']}")
    assert body["url"] == PUBLIC
    assert len(body["secret"]) == 64
    assert body["deliveries"].endswith(f"{HOOKS}/{body['id']}/deliveries")
    assert client.get(HOOKS, headers=admin).get_json() == {"items": [body], "next": None}
    assert client.get(f"{HOOKS}/{body['id']}", headers=admin).get_json() == body
    other = client.post(HOOKS, headers=admin, json={"url": PUBLIC + "/2"}).get_json()
    assert other["secret"] != body["secret"]

    assert client.delete(f"{HOOKS}/{body['id']}", headers=admin).status_code == 204
    assert client.get(f"{HOOKS}/{body['id']}", headers=admin).status_code == 404
    assert [h["id"] for h in client.get(HOOKS, headers=admin).get_json()["items"]] == [other["id"]]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/hook",
        "http://localhost/hook",
        "ftp://93.184.216.34/hook",
        "https://no-such-host.invalid/hook",
    ],
)
def test_a_url_that_cannot_receive_is_a_field_error(client, admin, url):
    response = client.post(HOOKS, headers=admin, json={"url": url})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"url"}
    assert db.session.scalar(select(func.count()).select_from(Webhook)) == 0


def test_the_same_url_twice_is_refused(client, admin):
    assert client.post(HOOKS, headers=admin, json={"url": PUBLIC}).status_code == 201
    again = client.post(HOOKS, headers=admin, json={"url": PUBLIC})
    assert again.status_code == 422
    assert "already receives" in again.get_json()["error"]["fields"]["url"]


def test_producers_may_not_see_or_manage_webhooks(client, api_token, admin):
    created = client.post(HOOKS, headers=admin, json={"url": PUBLIC}).get_json()
    producer = api_token("producer")
    for method, path, body in [
        ("get", HOOKS, None),
        ("post", HOOKS, {"url": PUBLIC + "/x"}),
        ("get", f"{HOOKS}/{created['id']}", None),
        ("delete", f"{HOOKS}/{created['id']}", None),
        ("get", f"{HOOKS}/{created['id']}/deliveries", None),
    ]:
        response = getattr(client, method)(path, headers=producer, json=body)
        assert response.status_code == 403, (method, path)
        assert response.get_json()["error"]["code"] == "forbidden"
    assert db.session.scalar(select(func.count()).select_from(Webhook)) == 1


TIMED_OUT = "xyz.example did not answer within 5 seconds."
REFUSED = "The receiver answered 502; a 2xx status was expected."


def _log(webhook_id: int, count: int) -> None:
    start = utcnow() - timedelta(hours=1)
    for n in range(count):
        db.session.add(
            WebhookDelivery(
                webhook_id=webhook_id,
                delivery_id=f"00000000-0000-4000-8000-{n:012d}",
                event="episode.published",
                attempt=1 + n % 3,
                status_code=None if n % 2 else 502,
                error=TIMED_OUT if n % 2 else REFUSED,
                created_at=start + timedelta(minutes=n),
            )
        )
    db.session.commit()


def test_the_delivery_log_pages_newest_first(client, admin):
    created = client.post(HOOKS, headers=admin, json={"url": PUBLIC}).get_json()
    _log(created["id"], 5)
    page = client.get(f"{HOOKS}/{created['id']}/deliveries?limit=3", headers=admin).get_json()
    assert [entry["delivery_id"][-1] for entry in page["items"]] == ["4", "3", "2"]
    first = page["items"][0]
    assert first["attempt"] == 2 and first["status_code"] == 502
    assert first["error"].startswith("The receiver answered 502")
    rest = client.get(page["next"], headers=admin).get_json()
    assert [entry["delivery_id"][-1] for entry in rest["items"]] == ["1", "0"]
    assert rest["items"][0]["status_code"] is None and rest["next"] is None


def test_admin_pages_add_show_the_log_and_remove(app, client, show, login, no_csrf):
    login("admin")
    settings_page = lxml_html.fromstring(client.get("/admin/show").text)
    assert settings_page.xpath("//a[@href='/admin/show/webhooks']")

    refused = client.post("/admin/show/webhooks", data={"url": "http://192.168.1.20/hook"})
    assert refused.status_code == 422
    page = lxml_html.fromstring(refused.text)
    assert "private" in page.get_element_by_id("url-error").text_content()
    assert page.get_element_by_id("url").get("value") == "http://192.168.1.20/hook"

    added = client.post("/admin/show/webhooks", data={"url": PUBLIC})
    assert added.status_code == 302
    webhook = db.session.scalar(select(Webhook))
    _log(webhook.id, 2)
    listing = lxml_html.fromstring(client.get("/admin/show/webhooks").text)
    assert listing.xpath("//code[@class='webhook-secret']")[0].text == webhook.secret
    row = listing.xpath("//tr[@class='webhook-row']")[0].text_content()
    assert PUBLIC in row and "attempt 2" in row and "did not answer" in row

    log = lxml_html.fromstring(client.get(f"/admin/show/webhooks/{webhook.id}").text)
    rows = [r.text_content() for r in log.xpath("//tr[contains(@class, 'delivery-row')]")]
    assert len(rows) == 2
    assert "no answer" in rows[0] and "did not answer within 5 seconds" in rows[0]
    assert "502" in rows[1]
    # Times are in the show's time zone (Europe/Prague), to the second.
    assert "CET" in rows[0] or "CEST" in rows[0]

    removed = client.post(f"/admin/show/webhooks/{webhook.id}/delete")
    assert removed.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert client.get(f"/admin/show/webhooks/{webhook.id}").status_code == 404


def test_producers_do_not_reach_the_webhook_pages(client, show, login, no_csrf):
    login("producer")
    assert client.get("/admin/show/webhooks").status_code == 403
    assert client.post("/admin/show/webhooks", data={"url": PUBLIC}).status_code == 403
    settings_page = lxml_html.fromstring(client.get("/admin/show").text)
    assert not settings_page.xpath("//a[@href='/admin/show/webhooks']")
