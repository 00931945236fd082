"""The episode form through the test client: drafts, publishing, scheduling, staging, deleting."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from lxml import html as lxml_html
from sqlalchemy import func, select
from support.data import COVER, SAMPLE_MP3

from podcast.extensions import db
from podcast.models import Episode, EpisodeStatus, Guest, MediaAsset, ReplacedMedia

ROWS = '//tr[contains(@class, "episode-row")]'
VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:04.000\n<v Bruce>Welcome to Majlis.\n"


def mp3(name: str = "episode.mp3") -> tuple[io.BytesIO, str]:
    """The sample episode as a form file."""
    return io.BytesIO(SAMPLE_MP3.read_bytes()), name


def post_episode(client: Any, url: str = "/admin/episodes/new", **fields: Any) -> Any:
    """Post the episode form (multipart) with the given fields."""
    fields.setdefault("action", "draft")
    return client.post(url, data=fields, content_type="multipart/form-data")


def page(response: Any) -> Any:
    """The response parsed as HTML."""
    return lxml_html.fromstring(response.get_data(as_text=True))


def episodes() -> list[Episode]:
    """Every episode row."""
    db.session.expire_all()
    return list(db.session.scalars(select(Episode)))


def test_save_draft_with_audio_keeps_it_off_the_site(client, login, no_csrf, show) -> None:
    login()
    response = post_episode(client, title="Silence and Impunity", audio=mp3(), action="draft")
    assert response.status_code == 302
    (episode,) = episodes()
    assert episode.status == EpisodeStatus.DRAFT
    assert episode.audio is not None and abs(episode.audio.duration_seconds - 18) < 1
    assert client.get(f"/shows/majlis/episodes/{episode.slug}").status_code == 404
    dashboard = page(client.get("/admin/"))
    row = dashboard.xpath(ROWS)[0]
    assert "Draft" in row.text_content()
    assert "0:18" in row.text_content()


def test_publish_with_guests_in_order_and_a_new_guest(
    client, login, no_csrf, show, make_guest
) -> None:
    login()
    first, second = make_guest("Zarina Ergasheva"), make_guest("Alisher Ilkhamov")
    response = post_episode(
        client,
        title="Water Wars",
        summary="Who gets the rivers.",
        description="The **Amu Darya** dries up.",
        audio=mp3(),
        season="2",
        number="7",
        episode_type="bonus",
        explicit="y",
        **{
            "guests-0": str(second.id),
            "guests-1": str(first.id),
            "new_guests-0-name": "Дильфуза Куролова",
            "new_guests-0-bio": "Journalist in *Tashkent*.",
        },
        action="publish",
    )
    assert response.status_code == 302
    (episode,) = episodes()
    assert episode.status == EpisodeStatus.PUBLISHED
    assert (episode.season, episode.number, episode.episode_type.value, episode.explicit) == (
        2, 7, "bonus", True,
    )  # fmt: skip
    assert [g.name for g in episode.guests] == [
        "Alisher Ilkhamov", "Zarina Ergasheva", "Дильфуза Куролова",
    ]  # fmt: skip
    public = client.get(f"/shows/majlis/episodes/{episode.slug}")
    assert public.status_code == 200
    text = page(public).text_content()
    assert "Water Wars" in text and "Дильфуза Куролова" in text
    new_guest = db.session.scalar(select(Guest).where(Guest.name == "Дильфуза Куролова"))
    assert new_guest.slug == "dilfuza-kurolova"
    assert new_guest.bio == "Journalist in *Tashkent*."
    assert "Published" in page(client.get("/admin/")).xpath(ROWS)[0].text_content()


def test_publish_with_a_future_date_schedules_in_the_show_time_zone(
    client, login, no_csrf, show
) -> None:
    login()
    response = post_episode(
        client, title="Next Year", audio=mp3(), publish_at="2031-01-15T09:00", action="publish"
    )
    assert response.status_code == 302
    (episode,) = episodes()
    assert episode.status == EpisodeStatus.SCHEDULED
    # Europe/Prague is UTC+1 in January.
    assert episode.publish_at == datetime(2031, 1, 15, 8, 0, tzinfo=UTC)
    assert client.get(f"/shows/majlis/episodes/{episode.slug}").status_code == 404
    row = page(client.get("/admin/")).xpath(ROWS)[0].text_content()
    assert "Scheduled for 2031-01-15 09:00" in row
    form = page(client.get(f"/admin/episodes/{episode.id}/edit"))
    assert form.get_element_by_id("publish_at").get("value") == "2031-01-15T09:00"


def test_dashboard_lists_newest_first_with_links(client, login, make_episode) -> None:
    make_episode("Older", publish_at="2024-01-01T10:00")
    make_episode("Newer", publish_at="2025-06-01T10:00")
    make_episode("Idea", audio=None, status="draft")
    login()
    dashboard = page(client.get("/admin/"))
    titles = [row.xpath(".//td//a")[0].text_content() for row in dashboard.xpath(ROWS)]
    assert titles == ["Idea", "Newer", "Older"]
    links = [a.get("href") for a in dashboard.xpath(ROWS + "//a")]
    assert "/shows/majlis/episodes/newer" in links
    assert not any(link.endswith("/episodes/idea") for link in links)


def test_staged_upload_reports_what_was_read_and_is_used_by_the_form(
    client, login, no_csrf, show, storage
) -> None:
    login()
    response = client.post(
        "/admin/uploads/audio", data={"audio": mp3("intro.mp3")}, content_type="multipart/form-data"
    )
    assert response.status_code == 201
    staged = response.get_json()
    assert staged["mime_type"] == "audio/mpeg"
    assert abs(staged["duration_seconds"] - 18) < 1
    assert staged["size_bytes"] == SAMPLE_MP3.stat().st_size
    assert staged["filename"] == "intro.mp3" and staged["warnings"] == []
    response = post_episode(
        client, title="Staged", staged_audio_id=str(staged["id"]), action="publish"
    )
    assert response.status_code == 302
    (episode,) = episodes()
    assert episode.audio_id == staged["id"]
    assert episode.audio.key.split("/")[1] == episode.guid
    assert list(storage.iter_keys()) == [episode.audio.key]


def test_upload_endpoint_refuses_non_audio_with_a_json_error(
    client, login, no_csrf, show, storage
) -> None:
    login()
    response = client.post(
        "/admin/uploads/audio",
        data={"audio": (io.BytesIO(b"\xff\xd8\xff\xe0 not really audio" * 50), "x.mp3")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["audio"]
    missing = client.post("/admin/uploads/audio", data={}, content_type="multipart/form-data")
    assert missing.status_code == 400
    assert list(storage.iter_keys()) == []
    assert db.session.scalar(select(func.count(MediaAsset.id))) == 0


def test_preview_endpoint_returns_sanitized_html(client, login, no_csrf) -> None:
    login()
    text = (
        "**Bold** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    html = client.post("/admin/preview", data={"text": text}).get_json()["html"]
    fragment = lxml_html.fragment_fromstring(html, create_parent="div")
    assert fragment.xpath("//strong")[0].text_content() == "Bold"
    assert not fragment.xpath("//script | //img | //*[@onerror]")
    assert not [a for a in fragment.xpath("//a/@href") if "javascript" in a]


def test_preview_button_without_js_rerenders_with_the_preview(client, login, no_csrf, show) -> None:
    login()
    response = post_episode(
        client, title="Draft title", description="Hello *world*", action="preview"
    )
    assert response.status_code == 200
    doc = page(response)
    assert doc.get_element_by_id("description-preview").xpath(".//em")[0].text_content() == "world"
    assert doc.get_element_by_id("title").get("value") == "Draft title"
    assert episodes() == []


def test_edit_replaces_audio_and_keeps_the_old_file_for_its_grace_period(
    client, login, no_csrf, make_episode, storage
) -> None:
    episode = make_episode("Replace me")
    old_key, guid = episode.audio.key, episode.guid
    login()
    other = (io.BytesIO((SAMPLE_MP3.parent / "cbr-128k-stereo.mp3").read_bytes()), "new.mp3")
    response = post_episode(
        client,
        f"/admin/episodes/{episode.id}/edit",
        title="Replace me",
        audio=other,
        action="publish",
    )
    assert response.status_code == 302
    (episode,) = episodes()
    assert episode.guid == guid
    assert abs(episode.audio.duration_seconds - 30) < 0.5
    assert sorted(storage.iter_keys()) == sorted([episode.audio.key, old_key])
    assert [r.key for r in db.session.scalars(select(ReplacedMedia))] == [old_key]


def test_unpublish_takes_the_episode_off_the_site(client, login, no_csrf, make_episode) -> None:
    episode = make_episode("Going away")
    assert client.get("/shows/majlis/episodes/going-away").status_code == 200
    login()
    response = client.post(f"/admin/episodes/{episode.id}/unpublish")
    assert response.status_code == 302
    assert episodes()[0].status == EpisodeStatus.DRAFT
    assert client.get("/shows/majlis/episodes/going-away").status_code == 404


def test_delete_confirmation_names_what_goes_and_delete_removes_it(
    client, login, no_csrf, show, storage
) -> None:
    login()
    post_episode(
        client,
        title="Doomed",
        audio=mp3(),
        image=(io.BytesIO(COVER.read_bytes()), "cover.jpg"),
        transcript=(io.BytesIO(VTT), "t.vtt"),
        action="publish",
    )
    (episode,) = episodes()
    assert len(list(storage.iter_keys())) == 3
    confirm = page(client.get(f"/admin/episodes/{episode.id}/delete"))
    items = [li.text_content() for li in confirm.xpath('//ul[@class="delete-list"]/li')]
    assert "Doomed" in items[0]
    assert "182.1 KB" in items[1]
    assert "image" in items[2] and "1400×1400" in items[2]
    assert "transcript" in items[3]
    assert client.post(f"/admin/episodes/{episode.id}/delete").status_code == 302
    assert episodes() == []
    assert list(storage.iter_keys()) == []
    assert db.session.scalar(select(func.count(MediaAsset.id))) == 0


def test_edit_of_a_missing_episode_is_404(client, login) -> None:
    login()
    assert client.get("/admin/episodes/999/edit").status_code == 404


def test_new_episode_before_the_show_exists_sends_to_show_settings(client, login) -> None:
    login()
    response = client.get("/admin/episodes/new")
    assert response.status_code == 302 and response.location.endswith("/admin/show")


def test_upload_after_the_session_expired_says_so_in_json(client):
    from support.data import SAMPLE_MP3

    response = client.post(
        "/admin/uploads/audio",
        data={"audio": (SAMPLE_MP3.open("rb"), "episode.mp3")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 401
    assert "session has expired" in response.get_json()["error"]["message"]
