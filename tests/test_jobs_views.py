"""Jobs as producers and scripts see them: /admin/jobs and /api/v1/jobs."""

from __future__ import annotations

import re

import pytest
from lxml import html

from podcast.extensions import db
from podcast.jobs import JobState, enqueue, run_queued
from podcast.jobs.outbox import cancel_job
from podcast.jobs.records import Job

API = "/api/v1/jobs"
ROWS = "//tr[contains(@class, 'job-row')]"


def _text(node, xpath: str) -> str:
    """The text of the first element the xpath finds under node."""
    return node.xpath(xpath)[0].text_content().strip()


def _jobs(show_id=None) -> list[int]:
    """Three jobs: a done ping, a failed ping, a queued storage check; ids oldest first."""
    done = enqueue(db.session, "ping", {}, show_id=show_id)
    db.session.commit()
    run_queued()
    failed = enqueue(db.session, "ping", {"seconds": -1}, max_attempts=1, show_id=show_id)
    db.session.commit()
    run_queued()
    queued = enqueue(db.session, "storage_check", {})
    db.session.commit()
    return [done.id, failed.id, queued.id]


def test_api_lists_jobs_newest_first_by_state_and_show(client, api_token, show):
    done, failed, queued = _jobs(show_id=show.id)
    headers = api_token()
    body = client.get(API, headers=headers).get_json()
    assert [item["id"] for item in body["items"]] == [queued, failed, done]
    assert body["next"] is None

    failures = client.get(f"{API}?state=failed", headers=headers).get_json()["items"]
    assert [(j["id"], j["state"]) for j in failures] == [(failed, "failed")]
    assert failures[0]["error"] == "seconds must be from 0 to 3600."
    assert failures[0]["message"] == "seconds must be from 0 to 3600."
    of_show = client.get(f"{API}?show={show.id}", headers=headers).get_json()["items"]
    assert [item["id"] for item in of_show] == [failed, done]

    first = client.get(f"{API}?limit=2", headers=headers).get_json()
    assert [item["id"] for item in first["items"]] == [queued, failed]
    rest = client.get(first["next"], headers=headers).get_json()
    assert [item["id"] for item in rest["items"]] == [done]


def test_api_gets_one_job_with_its_progress_and_result(client, api_token):
    done = _jobs()[0]
    response = client.get(f"{API}/{done}", headers=api_token())
    assert response.status_code == 200
    job = response.get_json()
    assert {k: job[k] for k in ("id", "kind", "state", "progress", "message", "result")} == {
        "id": done, "kind": "ping", "state": "done", "progress": 100,
        "message": "A worker answered after 0 s.", "result": {"seconds": 0.0, "attempt": 1},
    }  # fmt: skip
    assert client.get(f"{API}/{done + 100}", headers=api_token()).status_code == 404
    assert client.get(f"{API}/{done}").status_code == 401


@pytest.mark.parametrize(
    "query, field",
    [("state=stuck", "state"), ("show=Not%20a%20handle", "show"), ("show=0", "show")],
)
def test_api_refuses_bad_filters_with_the_field(client, api_token, query, field):
    response = client.get(f"{API}?{query}", headers=api_token())
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def _page(client, path="/admin/jobs"):
    response = client.get(path)
    assert response.status_code == 200
    return html.fromstring(response.data)


def test_admin_page_shows_progress_errors_and_a_retry_button(client, login, no_csrf):
    done, failed, queued = _jobs()
    login("producer")
    page = _page(client)
    rows = {row.get("id"): row for row in page.xpath(ROWS)}
    assert list(rows) == [f"job-{queued}", f"job-{failed}", f"job-{done}"]
    failed_row = rows[f"job-{failed}"]
    assert _text(failed_row, ".//*[@class='job-error']") == "seconds must be from 0 to 3600."
    assert [b.text_content() for b in failed_row.xpath(".//button")] == [f"Retry job {failed}"]
    assert rows[f"job-{done}"].xpath(".//progress")[0].get("value") == "100"
    # Producers cannot cancel; the unfinished job polls its status, and without JS the page
    # reloads itself while something is unfinished.
    assert rows[f"job-{queued}"].xpath(".//button") == []
    assert rows[f"job-{queued}"].get("data-job-status") == f"/admin/jobs/{queued}/status"
    assert page.xpath("//noscript/meta[@http-equiv='refresh']")

    response = client.post(f"/admin/jobs/{failed}/retry", data={"next": "/admin/jobs"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Job, failed).state == JobState.QUEUED
    assert client.post(f"/admin/jobs/{queued}/cancel").status_code == 403


def test_admin_filters_by_state_and_cancels_a_queued_job(client, login, no_csrf):
    done, failed, queued = _jobs()
    login("admin")
    page = _page(client, "/admin/jobs?state=queued")
    assert [row.get("id") for row in page.xpath(ROWS)] == [f"job-{queued}"]
    button = page.xpath(f"//tr[@id='job-{queued}']//form[contains(@class, 'job-cancel')]/button")[0]
    assert button.text_content() == f"Cancel job {queued}"

    client.post(f"/admin/jobs/{queued}/cancel", data={"next": "/admin/jobs"})
    page = _page(client)
    assert _text(page, f"//tr[@id='job-{queued}']/td[@class='job-state']") == "cancelled"
    assert "is cancelled" in page.xpath("//*[@class='notice']")[0].text_content()
    assert not page.xpath("//noscript/meta[@http-equiv='refresh']")


def test_status_poll_answers_what_the_api_answers(client, login, api_token):
    queued = _jobs()[2]
    login("producer")
    polled = client.get(f"/admin/jobs/{queued}/status").get_json()
    assert polled == client.get(f"{API}/{queued}", headers=api_token()).get_json()
    assert client.get("/admin/jobs/999999/status").status_code == 404


def test_cancelling_a_finished_job_says_why_not(client, login, no_csrf):
    done = _jobs()[0]
    login("admin")
    response = client.post(f"/admin/jobs/{done}/cancel", follow_redirects=True)
    text = html.fromstring(response.data).xpath("//*[@class='error-summary']")[0].text_content()
    assert re.search("only a queued or running job", text)
    with pytest.raises(Exception, match="done"):
        cancel_job(db.session, done)
