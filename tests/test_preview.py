"""Preview links: a draft's or a scheduled episode's page, opened without a login by a signed
link that expires, kept out of search engines and shared caches; the draft stays invisible on
every public surface."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import itsdangerous.timed
import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from podcast.models import Episode, utcnow
from podcast.services.previews import PREVIEW_AGE, preview_token


def doc(response: Any) -> lxml.html.HtmlElement:
    """The response parsed as HTML."""
    return lxml.html.fromstring(response.get_data(as_text=True))


def token_for(app: Flask, episode: Episode) -> str:
    """A fresh preview token for the episode."""
    return preview_token(app.config["SECRET_KEY"], episode.id)


@pytest.fixture
def draft(make_episode: Any) -> Episode:
    """A draft with audio, notes that hold a bold word, and a number."""
    return make_episode(
        "Unaired Interview",
        status="draft",
        description="Guests from **Uzbekistan**. She said so.",
        number="4",
    )


def test_a_draft_s_preview_is_its_public_page_with_a_banner(app, client, draft) -> None:
    response = client.get(f"/preview/{token_for(app, draft)}")
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Cache-Control"] == "private, no-store"
    page = doc(response)
    assert page.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert "preview of an unpublished episode" in page.xpath("string(//*[@role='note'])")
    assert page.xpath("string(//h1)") == "Unaired Interview"
    # The episode page's own parts: the player plays the draft's audio (served from /media/).
    (src,) = page.xpath("//audio/@src")
    assert src == f"/media/{draft.audio.key}"
    assert client.get(src).status_code == 200
    assert "Uzbekistan" in page.xpath("string(//section[@class='notes'])")
    # No embed code: the player of an unpublished episode is not public.
    assert not page.xpath("//textarea[@id='embed-code']")


def test_a_scheduled_episode_has_a_preview_too(app, client, make_episode) -> None:
    later = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    scheduled = make_episode("Next Month", status="scheduled", publish_at=later)
    response = client.get(f"/preview/{token_for(app, scheduled)}")
    assert response.status_code == 200
    assert "Next Month" in doc(response).xpath("string(//h1)")


def test_a_draft_without_audio_previews_without_a_player(app, client, make_episode) -> None:
    bare = make_episode("Only Notes", audio=None, status="draft", description="Notes.")
    response = client.get(f"/preview/{token_for(app, bare)}")
    assert response.status_code == 200
    assert not doc(response).xpath("//audio")


@pytest.mark.parametrize(
    "token",
    ["nonsense", "eyJpZCI6MX0.aaaa.bbbb", "1.ZZZZZZ.not-a-signature"],
)
def test_a_bad_token_is_404(client, draft, token) -> None:
    response = client.get(f"/preview/{token}")
    assert response.status_code == 404
    assert "Unaired Interview" not in response.get_data(as_text=True)


def test_a_token_signed_for_something_else_is_404(app, client, draft) -> None:
    # Same secret, another salt (a session, a password reset): not a preview.
    other = itsdangerous.URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps(
        draft.id
    )
    assert client.get(f"/preview/{other}").status_code == 404


def test_a_token_with_another_secret_is_404(client, draft) -> None:
    assert client.get(f"/preview/{preview_token('not the secret', draft.id)}").status_code == 404


def test_an_expired_token_is_410_with_a_sentence(app, client, draft, monkeypatch) -> None:
    signed_at = time.time() - PREVIEW_AGE.total_seconds() - 60
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed.time, "time", lambda: signed_at)
        stale = token_for(app, draft)
    response = client.get(f"/preview/{stale}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert "Unaired Interview" not in response.get_data(as_text=True)


def test_a_token_just_inside_its_days_still_works(app, client, draft, monkeypatch) -> None:
    signed_at = time.time() - PREVIEW_AGE.total_seconds() + 3600
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed.time, "time", lambda: signed_at)
        old = token_for(app, draft)
    assert client.get(f"/preview/{old}").status_code == 200


def test_a_deleted_episode_s_token_is_404(app, client, draft, login, no_csrf) -> None:
    token = token_for(app, draft)
    login()
    assert client.post(f"/admin/episodes/{draft.id}/delete").status_code == 302
    client.get("/logout")
    assert client.get(f"/preview/{token}").status_code == 404


def test_the_draft_stays_invisible_everywhere_else(app, client: FlaskClient, draft) -> None:
    assert client.get(f"/preview/{token_for(app, draft)}").status_code == 200
    assert client.get(f"/shows/majlis/episodes/{draft.slug}").status_code == 404
    assert client.get(f"/shows/majlis/episodes/{draft.slug}/embed").status_code == 404
    for url in ("/", "/feed.xml", "/sitemap.xml"):
        body = client.get(url).get_data(as_text=True)
        assert "Unaired Interview" not in body and draft.slug not in body, url


def test_the_admin_offers_the_preview_link_of_drafts_only(
    app, client, login, draft, make_episode
) -> None:
    live = make_episode("Already Out")
    login()
    dashboard = doc(client.get("/admin/"))
    rows = {
        row.xpath("string(td[1])").strip(): row
        for row in dashboard.xpath("//tr[contains(@class,'episode-row')]")
    }
    (link,) = rows["Unaired Interview"].xpath(".//input[contains(@class,'preview-link__url')]")
    assert link.get("value").startswith("https://podcast.example.org/preview/")
    assert not rows["Already Out"].xpath(".//input[contains(@class,'preview-link__url')]")
    assert "7 days" in dashboard.text_content()
    # The link works for someone who is not logged in.
    client.get("/logout")
    path = link.get("value").removeprefix("https://podcast.example.org")
    assert client.get(path).status_code == 200
    login("producer", "again@example.org")
    form = doc(client.get(f"/admin/episodes/{draft.id}/edit"))
    (field,) = form.xpath("//input[contains(@class,'preview-link__url')]")
    assert field.get("value").startswith("https://podcast.example.org/preview/")
    hint = form.xpath("string(//*[@id=$id])", id=field.get("aria-describedby"))
    assert "7 days" in hint
    live_form = doc(client.get(f"/admin/episodes/{live.id}/edit"))
    assert not live_form.xpath("//input[contains(@class,'preview-link__url')]")


def test_once_published_the_preview_points_to_the_public_page(app, client, make_episode) -> None:
    live = make_episode("Out Now")
    page = doc(client.get(f"/preview/{token_for(app, live)}"))
    note = page.xpath("//*[@role='note']")[0]
    assert "public now" in note.text_content()
    assert note.xpath(".//a/@href") == [f"/shows/majlis/episodes/{live.slug}"]
