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
    assert "0:17" in row.text_content()


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


NOT_SQUARE = SAMPLE_MP3.parent / "cover-not-square-600x400.jpg"


def summary_items(doc: Any) -> list[tuple[str, str]]:
    """The error summary's items: (the href, the text)."""
    return [(a.get("href"), a.text_content()) for a in doc.xpath('//*[@id="error-summary"]//a')]


def test_a_failed_save_lists_every_problem_at_once_each_linked_to_its_field(
    client, login, no_csrf, show, storage
) -> None:
    login()
    response = post_episode(
        client,
        title="",
        image=(io.BytesIO(NOT_SQUARE.read_bytes()), "cover.jpg"),
        action="publish",  # and no audio
    )
    assert response.status_code == 422
    doc = page(response)
    summary = doc.get_element_by_id("error-summary")
    assert summary.get("tabindex") == "-1" and summary.get("autofocus") is not None
    assert "There are 3 problems:" in summary.text_content()
    items = summary_items(doc)
    assert [href for href, _ in items] == ["#title", "#audio", "#image"]
    # Named by the labels the producer sees, not by the fields' ids.
    assert items[0][1].startswith("Title: Required")
    assert items[1][1].startswith("Audio: An episode needs its audio")
    assert items[2][1].startswith("Episode image (square JPEG or PNG")
    assert "600×400" in items[2][1]
    for href, _ in items:
        field = doc.get_element_by_id(href[1:])
        assert field.get("aria-invalid") == "true"
        message = doc.get_element_by_id(field.get("aria-describedby")).text_content()
        assert message and message in dict(items)[href]
    assert "Please correct" not in response.get_data(as_text=True)
    assert episodes() == [] and list(storage.iter_keys()) == []


def test_the_summary_links_new_guests_guests_and_chapters_to_their_own_fields(
    client, login, no_csrf, show
) -> None:
    login()
    response = post_episode(
        client,
        title="Everything wrong",
        audio=mp3(),
        chapters="0:00 Intro\n9:00 After the end",  # the audio lasts 18 seconds
        number="zero",
        **{"guests-0": "9999", "new_guests-0-bio": "No name"},
    )
    assert response.status_code == 422
    doc = page(response)
    hrefs = [href for href, _ in summary_items(doc)]
    assert hrefs == ["#number", "#chapters", "#guests-0", "#new_guests-0-name"]
    assert all(doc.get_element_by_id(href[1:]) is not None for href in hrefs)
    text = dict(summary_items(doc))
    assert text["#new_guests-0-name"].startswith("New guest 1: name: Required")
    assert text["#guests-0"].startswith("Guests, in speaking order: Unknown guest id: 9999")
    assert "after the end of the audio" in text["#chapters"]
    assert doc.get_element_by_id("guests-0").get("aria-describedby") == "guests-error"


def test_a_failed_save_keeps_a_valid_image_and_transcript_for_the_next_save(
    client, login, no_csrf, show, storage
) -> None:
    login()
    response = post_episode(
        client,
        title="",
        audio=mp3(),
        image=(io.BytesIO(COVER.read_bytes()), "cover.jpg"),
        transcript=(io.BytesIO(VTT), "talk.vtt"),
        action="publish",
    )
    assert response.status_code == 422
    doc = page(response)
    ids = {
        kind: doc.get_element_by_id(f"staged_{kind}_id").get("value")
        for kind in ("audio", "image", "transcript")
    }
    assert all(value and value.isdigit() for value in ids.values()), ids
    assert "cover.jpg" in doc.get_element_by_id("kept-image").text_content()
    assert "talk.vtt" in doc.get_element_by_id("kept-transcript").text_content()
    assert "the files you chose are kept" in doc.text_content()
    kinds = {db.session.get(MediaAsset, int(v)).kind for v in ids.values()}
    assert kinds == {"audio", "image", "transcript"}
    assert len(list(storage.iter_keys())) == 3

    again = post_episode(
        client,
        title="Kept files",
        action="publish",
        **{f"staged_{kind}_id": value for kind, value in ids.items()},
    )
    assert again.status_code == 302
    (episode,) = episodes()
    assert episode.status == EpisodeStatus.PUBLISHED
    assert (episode.audio_id, episode.image_id, episode.transcript_id) == tuple(
        int(ids[kind]) for kind in ("audio", "image", "transcript")
    )
    keys = [episode.audio.key, episode.image.key, episode.transcript.key]
    assert sorted(storage.iter_keys()) == sorted(keys)  # nothing stored twice
    assert all(key.split("/")[1] == episode.guid for key in keys)


def test_files_staged_by_a_form_never_saved_are_removed_by_the_storage_check(
    client, login, no_csrf, show, storage
) -> None:
    from podcast.services.maintenance import check_storage

    login()
    post_episode(
        client,
        title="",
        image=(io.BytesIO(COVER.read_bytes()), "cover.jpg"),
        transcript=(io.BytesIO(VTT), "talk.vtt"),
    )
    assert len(list(storage.iter_keys())) == 2
    result = check_storage(db.session, storage, fix=True, older_than=0)
    assert len(result.stale_assets) == 2
    assert list(storage.iter_keys()) == []
    assert db.session.scalar(select(func.count(MediaAsset.id))) == 0


def test_a_staged_image_already_taken_is_refused_by_name(
    client, login, no_csrf, show, make_episode
) -> None:
    taken = make_episode("Has a cover")
    login()
    post_episode(
        client,
        f"/admin/episodes/{taken.id}/edit",
        title="Has a cover",
        image=(io.BytesIO(COVER.read_bytes()), "cover.jpg"),
        action="publish",
    )
    image_id = episodes()[0].image_id
    response = post_episode(client, title="Thief", staged_image_id=str(image_id))
    assert response.status_code == 422
    assert "image you chose is no longer available" in page(response).text_content()
    assert page(response).get_element_by_id("staged_image_id").get("value", "") == ""


def publish_button(response: Any) -> str:
    """The publish button's label."""
    return page(response).get_element_by_id("publish-button").text_content().strip()


def test_the_publish_button_says_what_it_will_do(client, login, no_csrf, make_episode) -> None:
    draft = make_episode("Idea", status="draft")
    backdated = make_episode("Backdated", status="draft", publish_at="2024-01-01T10:00")
    later = make_episode("Later", publish_at="2031-01-15T09:00")
    live = make_episode("Live")
    login()
    assert publish_button(client.get("/admin/episodes/new")) == "Publish now"
    assert publish_button(client.get(f"/admin/episodes/{draft.id}/edit")) == "Publish now"
    assert publish_button(client.get(f"/admin/episodes/{backdated.id}/edit")) == "Publish"
    assert publish_button(client.get(f"/admin/episodes/{later.id}/edit")) == "Schedule"
    assert publish_button(client.get(f"/admin/episodes/{live.id}/edit")) == "Update"
    # A scheduled episode's date cleared (re-rendered after a refusal): it would go out now.
    cleared = post_episode(
        client, f"/admin/episodes/{later.id}/edit", title="", publish_at="", action="publish"
    )
    assert cleared.status_code == 422
    assert publish_button(cleared) == "Publish now"
    future = post_episode(client, title="", publish_at="2031-02-01T09:00", action="publish")
    assert publish_button(future) == "Schedule"


def test_saving_a_live_episode_says_updated(client, login, no_csrf, make_episode) -> None:
    live = make_episode("Live")
    login()
    response = post_episode(
        client, f"/admin/episodes/{live.id}/edit", title="Live, corrected", action="publish"
    )
    assert response.status_code == 302
    notice = page(client.get(response.location)).xpath('//p[@class="notice"]')[0]
    assert notice.text_content() == "Updated “Live, corrected”."
    first = post_episode(client, title="Fresh", audio=mp3(), action="publish")
    notice = page(client.get(first.location)).xpath('//p[@class="notice"]')[0]
    assert notice.text_content() == "Published “Fresh”."


def test_without_js_add_another_new_guest_keeps_what_was_typed_and_adds_a_slot(
    client, login, no_csrf, show
) -> None:
    login()
    response = post_episode(
        client,
        title="Many voices",
        action="add_guest_slot",
        **{"new_guests-0-name": "Айгерим", "new_guests-1-name": "Bobur"},
    )
    assert response.status_code == 200
    doc = page(response)
    assert doc.get_element_by_id("new_guests-0-name").get("value") == "Айгерим"
    assert doc.get_element_by_id("new_guests-2-name").get("value") in (None, "")
    assert doc.xpath("string(//label[@for='new_guests-2-name'])") == "New guest 3: name"
    assert episodes() == []


def test_the_form_takes_many_new_guests_and_says_where_it_stops(
    client, login, no_csrf, show
) -> None:
    login()
    names = {f"new_guests-{i}-name": f"Гость {i}" for i in range(51)}
    refused = post_episode(client, title="Too many", audio=mp3(), action="publish", **names)
    assert refused.status_code == 422
    text = dict(summary_items(page(refused)))
    assert text["#new_guests-50-name"].endswith(
        "At most 50 new guests in one save: save these, then add the others."
    )
    names.pop("new_guests-50-name")
    saved = post_episode(client, title="Fifty", audio=mp3(), action="publish", **names)
    assert saved.status_code == 302
    episode = db.session.scalar(select(Episode).where(Episode.title == "Fifty"))
    assert [guest.name for guest in episode.guests][:3] == ["Гость 0", "Гость 1", "Гость 2"]
    assert len(episode.guests) == 50
