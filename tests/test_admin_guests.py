"""Guests in the admin: create with bio and photo, edit, delete only when on no episode."""

from __future__ import annotations

import io

from lxml import html as lxml_html
from sqlalchemy import func, select
from support.data import COVER, FIXTURES

from podcast.extensions import db
from podcast.models import Guest, MediaAsset


def test_create_a_guest_with_bio_links_and_photo(client, login, no_csrf, storage) -> None:
    login()
    response = client.post(
        "/admin/guests/new",
        data={
            "name": "Алишер Ильхамов",
            "bio": "Director of **Central Asia Due Diligence**.",
            "website": "https://example.org/alisher",
            "links": "Twitter https://twitter.com/alisher",
            "photo": (io.BytesIO(COVER.read_bytes()), "me.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    guest = db.session.scalar(select(Guest))
    assert guest.slug == "alisher-ilkhamov"
    assert guest.links == [{"label": "Twitter", "url": "https://twitter.com/alisher"}]
    assert guest.photo is not None and list(storage.iter_keys()) == [guest.photo.key]
    assert guest.bio == "Director of **Central Asia Due Diligence**."
    listing = lxml_html.fromstring(client.get("/admin/guests").text).text_content()
    assert "Алишер Ильхамов" in listing


def test_edit_keeps_the_slug_and_shows_errors_next_to_fields(
    client, login, no_csrf, make_guest
) -> None:
    guest = make_guest("Zarina Ergasheva", bio="Old bio")
    login()
    form = lxml_html.fromstring(client.get(f"/admin/guests/{guest.id}/edit").text)
    assert form.get_element_by_id("bio").text_content().strip() == "Old bio"
    bad = client.post(
        f"/admin/guests/{guest.id}/edit",
        data={"name": "Zarina E.", "bio": "New bio", "website": "ftp://nope"},
    )
    assert bad.status_code == 422
    doc = lxml_html.fromstring(bad.text)
    assert "https://" in doc.get_element_by_id("website-error").text_content()
    assert doc.get_element_by_id("name").get("value") == "Zarina E."
    good = client.post(
        f"/admin/guests/{guest.id}/edit", data={"name": "Zarina E.", "bio": "New bio"}
    )
    assert good.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Guest, guest.id)
    assert (saved.name, saved.bio, saved.slug) == ("Zarina E.", "New bio", "zarina-ergasheva")


def test_a_bad_photo_leaves_no_guest_behind(client, login, no_csrf, storage) -> None:
    login()
    response = client.post(
        "/admin/guests/new",
        data={
            "name": "Photo Trouble",
            "bio": "Typed bio",
            "photo": (io.BytesIO((FIXTURES / "not-audio.mp3").read_bytes()[:100]), "p.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    doc = lxml_html.fromstring(response.text)
    assert "JPEG or PNG" in doc.get_element_by_id("photo-error").text_content()
    assert doc.get_element_by_id("bio").text_content().strip() == "Typed bio"
    assert db.session.scalar(select(func.count(Guest.id))) == 0
    assert db.session.scalar(select(func.count(MediaAsset.id))) == 0
    assert list(storage.iter_keys()) == []


def test_delete_only_a_guest_on_no_episode(
    client, login, no_csrf, make_guest, make_episode
) -> None:
    busy = make_guest("Busy Guest")
    free = make_guest("Free Guest")
    make_episode("Water Wars", guests=[busy.id])
    login()
    refused = client.post(f"/admin/guests/{busy.id}/delete")
    assert refused.status_code == 409
    text = lxml_html.fromstring(refused.text).text_content()
    assert "Water Wars" in text and "Busy Guest" in text
    assert client.post(f"/admin/guests/{free.id}/delete").status_code == 302
    names = set(db.session.scalars(select(Guest.name)))
    assert names == {"Busy Guest"}


def test_the_list_offers_delete_only_for_a_guest_on_no_episode(
    client, login, make_guest, make_episode
) -> None:
    busy = make_guest("Busy Guest")
    make_guest("Free Guest")
    make_episode("Water Wars", guests=[busy.id])
    make_episode("Dry Spell", guests=[busy.id])
    login()
    page = lxml_html.fromstring(client.get("/admin/guests").text)
    rows = {
        row.xpath("string(td[1])").strip(): row for row in page.xpath("//tr[@class='guest-row']")
    }
    busy_button = rows["Busy Guest"].xpath(".//button")[0]
    assert busy_button.get("disabled") is not None
    reason = page.get_element_by_id(busy_button.get("aria-describedby"))
    assert reason.text_content().strip() == "On 2 episodes"
    free_button = rows["Free Guest"].xpath(".//form//button[@type='submit']")[0]
    assert free_button.get("disabled") is None
