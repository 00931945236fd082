"""The admin on a 390 px phone: no page scrolls sideways, buttons are thumb-sized, and the
admin has its own header (its navigation, not the listeners' site's)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from lxml import html as lxml_html
from support.live_server import log_in

from podcast.extensions import db
from podcast.models import Webhook, WebhookDelivery
from podcast.services.accounts import create_token

PHONE = {"width": 390, "height": 844}
ADMIN_EMAIL = "yelizaveta.konstantinopolskaya-rimskaya-korsakova@example.org"
LONG_URL = (
    "https://receiver.example.org/hooks/podcast/"
    "a-very-long-path-without-any-breaks-to-wrap-at-0123456789abcdef0123456789abcdef"
)
LONG_NAME = "Дилфуза Куролова-Абдурахмоновна-Тошкентская"
LONG_TITLE = "Свобода слова и безнаказанность: разговор о Центральной Азии, выпуск первый"

# Each admin page and a piece of its content a producer must see on the phone.
PAGES = [
    ("episodes", "/admin/", "tr.episode-row a >> nth=0"),
    ("episode-new", "/admin/episodes/new", "#publish-button"),
    ("episode-edit", "/admin/episodes/{episode}/edit", "#publish-button"),
    ("guests", "/admin/guests", "tr.guest-row a >> nth=0"),
    ("guest-edit", "/admin/guests/{guest}/edit", "form.admin-form button.primary"),
    ("users", "/admin/users", "tr.user-row >> nth=0"),
    ("show-settings", "/admin/show", "form.admin-form button.primary"),
    ("shows", "/admin/shows", "tr.show-row a >> nth=0"),
    ("jobs", "/admin/jobs", "tr.job-row >> nth=0"),
    ("webhooks", "/admin/show/webhooks", "tr.webhook-row a"),
    ("webhook-log", "/admin/show/webhooks/{webhook}", "tr.delivery-row >> nth=0"),
    ("tokens", "/admin/tokens", "tr.token-row >> nth=0"),
    ("account", "/admin/account", "form.admin-form button.primary"),
]

# Elements sticking out to the right of the viewport, for a failure message that says which.
WIDE_ELEMENTS = """() => {
  const limit = window.innerWidth;
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > limit + 0.5) {
      const name = `${el.tagName.toLowerCase()}.${el.className}`.slice(0, 60);
      found.push(`${name} → ${Math.round(box.right)}`);
    }
  }
  return found.slice(0, 8);
}"""

# Every visible button (and link styled as one) that is smaller than 44×44 px.
SMALL_TARGETS = """() => {
  const found = [];
  const targets = 'button, .button, input[type=submit], .admin-header nav a';
  for (const el of document.querySelectorAll(targets)) {
    const box = el.getBoundingClientRect();
    if (!box.width || getComputedStyle(el).visibility === 'hidden') continue;
    if (box.width < 43.5 || box.height < 43.5) {
      const size = `${Math.round(box.width)}×${Math.round(box.height)}`;
      found.push(`${el.textContent.trim().slice(0, 30)} ${size}`);
    }
  }
  return found;
}"""


@pytest.fixture
def full_admin(show, second_show, make_user, make_guest, make_episode) -> dict[str, int]:
    """Every admin page with rows in it, and long words, addresses and names to wrap."""
    from podcast.jobs import enqueue, run_queued

    admin = make_user(ADMIN_EMAIL, role="admin")
    producer = make_user("producer@example.org")
    guest = make_guest(LONG_NAME, bio="Журналистка из Ташкента. " * 8)
    episode = make_episode(title=LONG_TITLE, guests=[guest.id], season=1, number=1)
    make_episode(title="Silence and Impunity", status="draft", audio=None)
    create_token(db.session, admin, "deploy-bot-for-the-majlis-feed-mirror-" + "x" * 20)
    create_token(db.session, producer, "Телеграм-бот")
    db.session.commit()
    webhook = Webhook(show=show, url=LONG_URL, secret="5e" * 32)  # no DNS look-up
    db.session.add(webhook)
    db.session.flush()
    db.session.add(
        WebhookDelivery(
            webhook_id=webhook.id, delivery_id=str(uuid.uuid4()), event="episode.published",
            attempt=3, status_code=None,
            error="ConnectionRefusedError: receiver.example.org:443 refused the connection " * 2,
        )
    )  # fmt: skip
    enqueue(db.session, "ping", {"seconds": -1}, max_attempts=1)  # fails: an error and Retry
    db.session.commit()
    run_queued()
    enqueue(db.session, "storage_check", {})  # stays queued: a progress bar and Cancel
    db.session.commit()
    return {"episode": episode.id, "guest": guest.id, "webhook": webhook.id}


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en", "ru"])
def test_no_admin_page_scrolls_sideways_on_a_phone(
    live_server, browser_page, screenshot, full_admin, locale
) -> None:
    from playwright.sync_api import expect

    from podcast.models import User

    db.session.query(User).filter_by(email=ADMIN_EMAIL).one().locale = locale  # longer words
    db.session.commit()
    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page, live_server, ADMIN_EMAIL)
    wide: dict[str, list[str]] = {}
    small: dict[str, list[str]] = {}
    cut: dict[str, Any] = {}  # key content reaching past the screen's edge
    for name, path, content in PAGES:
        page.goto(live_server + path.format(**full_admin))
        expect(page.locator("h1")).to_be_visible()
        key = page.locator(content)
        expect(key).to_be_visible()
        key.scroll_into_view_if_needed()
        box = key.bounding_box()
        if box is None or box["x"] < 0 or box["x"] + box["width"] > PHONE["width"]:
            cut[name] = box
        screenshot(name)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > page.evaluate("window.innerWidth"):
            wide[name] = [f"scrollWidth {width}", *page.evaluate(WIDE_ELEMENTS)]
        if targets := page.evaluate(SMALL_TARGETS):
            small[name] = targets
    assert not wide, "\n".join(f"{name}: {found}" for name, found in wide.items())
    assert not cut, "\n".join(f"{name}: {box}" for name, box in cut.items())
    assert not small, "\n".join(f"{name}: {found}" for name, found in small.items())


@pytest.mark.browser
def test_the_admin_navigation_wraps_on_a_phone_and_marks_the_page(
    live_server, browser_page, screenshot, full_admin
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page, live_server, ADMIN_EMAIL)
    page.goto(live_server + "/admin/guests")
    nav = page.get_by_role("banner").get_by_role("navigation", name="Admin")
    for label in ["Episodes", "Guests", "Shows", "Users", "Jobs", "API tokens"]:
        link = nav.get_by_role("link", name=label, exact=True)
        expect(link).to_be_visible()
    expect(nav.locator("[aria-current=page]")).to_have_text("Guests")
    expect(page.get_by_role("banner").get_by_role("button", name="Log out")).to_be_visible()
    screenshot("header")
    nav.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.get_by_role("heading", name="Jobs", level=1)).to_be_visible()
    expect(nav.locator("[aria-current=page]")).to_have_text("Jobs")


def test_the_admin_header_is_the_admins_not_the_listeners_sites(client, full_admin) -> None:
    from support.auth import sign_in_as

    from podcast.models import User

    admin = db.session.query(User).filter_by(email=ADMIN_EMAIL).one()
    sign_in_as(client, admin)
    for path in ["/admin/", "/admin/guests", "/admin/episodes/{episode}/edit"]:
        body = client.get(path.format(**full_admin)).get_data(as_text=True)
        tree = lxml_html.fromstring(body)
        headers = tree.xpath("//header")
        assert len(headers) == 1, path
        header = headers[0]
        assert "admin-header" in header.get("class", ""), path
        assert not tree.xpath("//*[contains(@class, 'site-nav')]"), path
        assert tree.xpath("//a[normalize-space()='Subscribe']") == [], path
        episodes = [a for a in tree.xpath("//a") if a.text_content().strip() == "Episodes"]
        assert len(episodes) == 1, path  # the admin's list, not also the public site's
        nav = header.xpath(".//nav[@aria-label='Admin']")[0]
        labels = [a.text_content().strip() for a in nav.xpath(".//a")]
        for label in ["Episodes", "New episode", "Guests", "Shows", "Show settings", "Jobs"]:
            assert label in labels, (path, labels)
        assert "Users" in labels and "API tokens" in labels
        home = header.xpath(".//a[contains(@class, 'admin-brand')]")[0]
        assert home.get("href") == "/admin/" and "Majlis" in home.text_content()
        assert header.xpath(".//a[normalize-space()='Public site']/@href") == ["/"]
        assert ADMIN_EMAIL in header.text_content()
        assert header.xpath(".//form[@action='/logout']//button[normalize-space()='Log out']")
    current = lxml_html.fromstring(client.get("/admin/guests").get_data(as_text=True))
    assert current.xpath("//header//a[@aria-current='page']/text()") == ["Guests"]
    edit = client.get(f"/admin/episodes/{full_admin['episode']}/edit").get_data(as_text=True)
    marked = lxml_html.fromstring(edit).xpath("//header//a[@aria-current]")
    assert [(a.text_content(), a.get("aria-current")) for a in marked] == [("Episodes", "true")]


# One-word column headings and statuses split over lines (mid-word breaks in a squeezed table).
SPLIT_WORDS = """() => {
  const found = [];
  for (const el of document.querySelectorAll('th, .status')) {
    const text = el.textContent.trim();
    if (!text || /\\s/.test(text)) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    if (lines.size > 1) found.push(text);
  }
  return found;
}"""


@pytest.mark.browser
def test_a_wide_screen_keeps_the_tables_words_whole(
    live_server, browser_page, screenshot, full_admin
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1024, "height": 800})
    log_in(page, live_server, ADMIN_EMAIL)
    split: dict[str, list[str]] = {}
    for name, path in [
        ("episodes", "/admin/"),
        ("users", "/admin/users"),
        ("tokens", "/admin/tokens"),
    ]:
        page.goto(live_server + path)
        screenshot(name)
        if words := page.evaluate(SPLIT_WORDS):
            split[name] = words
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    assert not split, split
