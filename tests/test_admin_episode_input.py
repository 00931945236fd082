"""Bad input on the episode form: a clear message next to the field, and nothing half-made."""

from __future__ import annotations

import io
from typing import Any

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select
from support.app import make_app
from support.auth import sign_in_as
from support.data import FIXTURES, PASSWORD, SAMPLE_MP3, SHOW_SETTINGS

from podcast.current import passwords
from podcast.extensions import db
from podcast.models import Episode, Guest, MediaAsset
from podcast.services.access import grant
from podcast.services.accounts import create_user
from podcast.services.shows import create_show

NOT_SQUARE = FIXTURES / "cover-not-square-600x400.jpg"


def mp3(name: str = "episode.mp3") -> tuple[io.BytesIO, str]:
    """The sample episode as a form file."""
    return io.BytesIO(SAMPLE_MP3.read_bytes()), name


def post(client: Any, **fields: Any) -> Any:
    """Post the new-episode form."""
    fields.setdefault("action", "publish")
    return client.post("/admin/episodes/new", data=fields, content_type="multipart/form-data")


def field_error(response: Any, field_id: str) -> str:
    """The message shown next to a field (the element the field's aria-describedby names)."""
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    element = doc.get_element_by_id(field_id)
    assert element.get("aria-invalid") == "true", f"{field_id} is not marked invalid"
    return doc.get_element_by_id(element.get("aria-describedby")).text_content()


def value_of(response: Any, field_id: str) -> str:
    """The value a field was re-rendered with."""
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    element = doc.get_element_by_id(field_id)
    return element.text_content() if element.tag == "textarea" else element.get("value", "")


def assert_nothing_made(storage: Any) -> None:
    """No episode row, no media row, no object in storage."""
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Episode.id))) == 0
    assert db.session.scalar(select(func.count(MediaAsset.id))) == 0
    assert list(storage.iter_keys()) == []


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("", "Required"),
        ("x" * 256, "At most 255 characters"),
        ("Bad\x07title", "control characters"),
    ],
    ids=["empty", "too-long", "control-character"],
)
def test_bad_titles(client, login, no_csrf, show, storage, title, expected) -> None:
    login()
    response = post(client, title=title, summary="Keep me", action="draft")
    assert response.status_code == 422
    assert expected in field_error(response, "title")
    assert value_of(response, "summary").strip() == "Keep me"
    assert_nothing_made(storage)


def test_date_that_does_not_parse(client, login, no_csrf, show, storage) -> None:
    login()
    response = post(client, title="When?", publish_at="next tuesday", action="draft")
    assert response.status_code == 422
    assert "Not a date and time" in field_error(response, "publish_at")
    assert value_of(response, "publish_at") == "next tuesday"
    assert_nothing_made(storage)


@pytest.mark.parametrize(("field", "value"), [("season", "0"), ("number", "-1")])
def test_season_or_number_below_one(client, login, no_csrf, show, storage, field, value) -> None:
    login()
    response = post(client, title="Numbers", action="draft", **{field: value})
    assert response.status_code == 422
    assert "1 or more" in field_error(response, field)
    assert_nothing_made(storage)


def test_unknown_episode_type(client, login, no_csrf, show, storage) -> None:
    login()
    response = post(client, title="Typed", episode_type="documentary", action="draft")
    assert response.status_code == 422
    assert "full, trailer or bonus" in field_error(response, "episode_type")
    assert_nothing_made(storage)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [("not-audio.mp3", "upload"), ("truncated-4k.mp3", "truncated")],
)
def test_non_audio_or_truncated_audio(
    client, login, no_csrf, show, storage, fixture, expected
) -> None:
    login()
    upload = (io.BytesIO((FIXTURES / fixture).read_bytes()), fixture)
    response = post(client, title="Broken audio", audio=upload)
    assert response.status_code == 422
    assert expected in field_error(response, "audio").lower()
    assert value_of(response, "title") == "Broken audio"
    assert value_of(response, "staged_audio_id") == ""
    assert_nothing_made(storage)


def test_publishing_without_audio_is_refused(client, login, no_csrf, show, storage) -> None:
    login()
    response = post(client, title="Silent")
    assert response.status_code == 422
    assert "needs its audio" in field_error(response, "audio")
    assert_nothing_made(storage)


def test_upload_over_the_limit_gets_a_friendly_413(tmp_path) -> None:
    app = make_app(tmp_path, MAX_UPLOAD_MB=1, WTF_CSRF_ENABLED=False)
    with app.app_context():
        db.create_all()
        show = create_show(db.session, dict(SHOW_SETTINGS), "https://podcast.example.org/feed.xml")
        user = create_user(db.session, "p@example.org", PASSWORD, passwords=passwords())
        grant(db.session, user, show)  # a producer of the show
        client = sign_in_as(app.test_client(), user)
        big = (io.BytesIO(b"\0" * (3 * 1024 * 1024)), "huge.mp3")
        page = client.post(
            "/admin/episodes/new", data={"title": "Huge", "audio": big},
            content_type="multipart/form-data",
        )  # fmt: skip
        assert page.status_code == 413
        assert "larger than the 1 MB upload limit" in page.get_data(as_text=True)
        assert "<h1>File too large</h1>" in page.get_data(as_text=True)
        staged = client.post(
            "/admin/uploads/audio",
            data={"audio": (io.BytesIO(b"\0" * (3 * 1024 * 1024)), "huge.mp3")},
            content_type="multipart/form-data",
        )
        assert staged.status_code == 413
        assert "1 MB" in staged.get_json()["error"]["message"]
        # Within the request slack but over the file limit: the service refuses it by name.
        slightly = (io.BytesIO(b"\0" * (1024 * 1024 + 10)), "a-bit-big.mp3")
        form = client.post(
            "/admin/episodes/new", data={"title": "A bit big", "audio": slightly},
            content_type="multipart/form-data",
        )  # fmt: skip
        assert form.status_code == 413
        assert "1 MB limit" in field_error(form, "audio")
        assert value_of(form, "title") == "A bit big"
        assert db.session.scalar(select(func.count(Episode.id))) == 0
        db.session.remove()
        db.engine.dispose()


def test_wrong_image_size_keeps_the_audio_staged(client, login, no_csrf, show, storage) -> None:
    login()
    response = post(
        client,
        title="With a bad cover",
        audio=mp3(),
        image=(io.BytesIO(NOT_SQUARE.read_bytes()), "cover.jpg"),
    )
    assert response.status_code == 422
    message = field_error(response, "image")
    assert "600×400" in message and "1400×1400" in message
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Episode.id))) == 0
    # The audio is kept (staged) so the producer does not upload it again, and nothing else.
    staged_id = value_of(response, "staged_audio_id")
    staged = db.session.get(MediaAsset, int(staged_id))
    assert list(storage.iter_keys()) == [staged.key]
    assert "Uploaded, kept for this form" in response.get_data(as_text=True)
    # Submitting again without the image publishes with the staged audio.
    again = post(client, title="With a bad cover", staged_audio_id=staged_id)
    assert again.status_code == 302
    episode = db.session.scalar(select(Episode))
    assert episode.audio_id == staged.id


def test_other_field_errors_keep_the_uploaded_audio(client, login, no_csrf, show, storage) -> None:
    login()
    response = post(client, title="", audio=mp3(), season="zero")
    assert response.status_code == 422
    staged_id = value_of(response, "staged_audio_id")
    assert staged_id and db.session.get(MediaAsset, int(staged_id)).kind == "audio"
    assert "0:17" in response.get_data(as_text=True)


def test_transcript_that_does_not_parse(client, login, no_csrf, show, storage) -> None:
    login()
    bad = (io.BytesIO(b"this is not a transcript at all"), "notes.srt")
    response = post(client, title="Transcribed", transcript=bad, action="draft")
    assert response.status_code == 422
    assert "transcript could not be read" in field_error(response, "transcript")
    assert_nothing_made(storage)


def test_unknown_guest_ids(client, login, no_csrf, show, storage) -> None:
    login()
    response = post(client, title="Ghost guest", action="draft", **{"guests-0": "9999"})
    assert response.status_code == 422
    assert "Unknown guest id: 9999" in response.get_data(as_text=True)
    assert_nothing_made(storage)


def test_new_guest_without_a_name_is_refused(client, login, no_csrf, show, storage) -> None:
    login()
    response = post(
        client, title="Nameless", action="draft", **{"new_guests-0-bio": "A bio but no name"}
    )
    assert response.status_code == 422
    assert "Required" in field_error(response, "new_guests-0-name")
    assert value_of(response, "new_guests-0-bio").strip() == "A bio but no name"
    assert_nothing_made(storage)
    assert db.session.scalar(select(func.count(Guest.id))) == 0


def test_same_title_gets_its_own_slug_and_cyrillic_is_transliterated(
    client, login, no_csrf, show
) -> None:
    login()
    assert post(client, title="Выборы", audio=mp3()).status_code == 302
    assert post(client, title="Выборы", audio=mp3()).status_code == 302
    slugs = sorted(db.session.scalars(select(Episode.slug)))
    assert slugs == ["vybory", "vybory-2"]
    assert client.get("/shows/majlis/episodes/vybory").status_code == 200
    assert client.get("/shows/majlis/episodes/vybory-2").status_code == 200


def test_markdown_and_bios_are_sanitized_on_the_public_pages(client, login, no_csrf, show) -> None:
    login()
    notes = (
        "Intro **kept**.\n\n<script>alert('x')</script>\n\n"
        '[click](javascript:alert(1)) <a href="#" onclick="alert(1)">raw</a>'
    )
    response = post(
        client,
        title="Sanitized",
        description=notes,
        audio=mp3(),
        **{
            "new_guests-0-name": "Risky Guest",
            "new_guests-0-bio": "Bio <img src=x onerror=alert(1)> [me](javascript:alert(2)) *ok*",
        },
    )
    assert response.status_code == 302
    for url in ("/shows/majlis/episodes/sanitized", "/guests/risky-guest"):
        doc = lxml_html.fromstring(client.get(url).get_data(as_text=True))
        main = doc.xpath("//main")[0]
        assert not main.xpath(".//script"), url
        assert not main.xpath(".//*[@onclick or @onerror]"), url
        assert not [h for h in main.xpath(".//a/@href") if h.lower().startswith("javascript")]
    answer = client.get("/shows/majlis/episodes/sanitized")
    episode_page = lxml_html.fromstring(answer.get_data(as_text=True))
    assert episode_page.xpath("//main//strong[text()='kept']")
    guest_page = lxml_html.fromstring(client.get("/guests/risky-guest").get_data(as_text=True))
    assert guest_page.xpath("//main//em[text()='ok']")


def test_a_path_in_the_file_name_is_never_used_as_the_key(
    client, login, no_csrf, show, storage
) -> None:
    login()
    response = post(client, title="Sneaky", audio=mp3("../../etc/passwd.mp3"))
    assert response.status_code == 302
    episode = db.session.scalar(select(Episode))
    key = episode.audio.key
    assert "passwd" not in key and ".." not in key
    assert key.startswith(f"episodes/{episode.guid}/audio-")
    assert episode.audio.original_filename == "passwd.mp3"
    assert list(storage.iter_keys()) == [key]
