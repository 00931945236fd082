"""In Chromium: from the log-in page through the mailed reset link to logged in anew."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from support.api import app_with
from support.data import PASSWORD

from podcast.jobs import run_queued

pytestmark = pytest.mark.browser
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def app(tmp_path: Path, _postgres_schema: str | None, smtp_server: Any) -> Any:
    """The app sending mail to the test SMTP server."""
    with app_with(tmp_path, _postgres_schema, SMTP_URL=smtp_server.url) as application:
        yield application


def test_a_forgotten_password_is_reset_from_the_log_in_page(
    live_server, browser_page, screenshot, make_user, smtp_server
) -> None:
    make_user("producer@example.org")
    page = browser_page
    page.goto(live_server + "/login")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email").fill("producer@example.org")
    screenshot("forgot-password")
    page.get_by_role("button", name="Send the link").click()
    status = page.get_by_role("status")
    assert "If an account uses that address, we have sent it a link." in status.inner_text()
    screenshot("link-sent")

    run_queued()  # the worker's part: the mail goes out
    [mail] = smtp_server.messages
    link = re.search(r"https://podcast\.example\.org(/login/reset/\S+)", mail.get_content())
    assert link, mail.get_content()
    page.goto(live_server + link.group(1))
    page.get_by_label("New password (at least 10 characters)").fill(NEW_PASSWORD)
    screenshot("new-password")
    page.get_by_role("button", name="Save the password and log in").click()
    page.wait_for_url(live_server + "/admin/")
    assert "every other session of yours has ended" in page.get_by_role("status").inner_text()
    screenshot("logged-in")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/login\?logged_out=1$"))
    page.get_by_label("Email").fill("producer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert "Wrong email or password." in page.get_by_role("alert").inner_text()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/admin/")
    screenshot("logged-in-with-the-new-password")
