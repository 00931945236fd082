"""The jobs page in a real browser: the bar moves while the job runs, without a reload."""

from __future__ import annotations

import threading

import pytest
from support.data import PASSWORD

from podcast.extensions import db
from podcast.jobs import enqueue
from podcast.jobs.runner import execute


@pytest.mark.browser
def test_the_progress_bar_moves_and_the_page_shows_the_end(
    app, live_server, browser_page, screenshot, make_user
) -> None:
    from playwright.sync_api import expect

    make_user("producer@example.org")
    job = enqueue(db.session, "ping", {"seconds": 3, "steps": 30})
    db.session.commit()
    page = browser_page
    page.goto(live_server + "/admin/jobs")
    page.get_by_label("Email").fill("producer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server + "/admin/jobs")
    row = page.locator(f"#job-{job.id}")
    expect(row.locator(".job-state")).to_have_text("queued")
    page.evaluate("window.notReloaded = true")

    def work() -> None:
        with app.app_context():
            execute(job.id)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    expect(row.locator(".job-message")).to_contain_text("Waiting, step", timeout=20_000)
    page.wait_for_function(
        f"document.querySelector('#job-{job.id} .job-progress').value > 0", timeout=20_000
    )
    assert page.evaluate("window.notReloaded === true")  # the poll moved it, not a reload
    screenshot("jobs-running")
    worker.join(30)
    expect(row.locator(".job-state")).to_have_text("done", timeout=20_000)
    expect(row.locator(".job-message")).to_have_text("A worker answered after 3 s.")
    expect(row.locator(".job-progress")).to_have_js_property("value", 100)
