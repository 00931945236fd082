"""Show settings in the admin: every field, categories from Apple's list, artwork checked."""

from __future__ import annotations

import io

from lxml import html as lxml_html
from support.data import COVER, FIXTURES

from podcast.extensions import db
from podcast.models import Show

SETTINGS = {
    "title": "Majlis",
    "subtitle": "Central Asia, weekly",
    "description": "RFE/RL's weekly podcast on Central Asia.",
    "author": "RFE/RL",
    "owner_name": "RFE/RL Podcasts",
    "owner_email": "podcasts@example.org",
    "language": "en",
    "timezone": "Asia/Tashkent",
    "categories-0": "News > Politics",
    "categories-1": "Society & Culture",
    "categories-2": "",
    "show_type": "episodic",
    "copyright": "© RFE/RL",
    "website": "https://www.rferl.org/podcast/majlis",
    "hosts": "Bruce Pannier | host | https://example.org/bruce",
    "locked": "y",
    "directory_apple": "https://podcasts.apple.com/podcast/id1",
}


def test_settings_are_saved_and_shown_again(client, login, no_csrf, show) -> None:
    login()
    response = client.post("/admin/show", data=SETTINGS)
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Show, show.id)
    assert saved.timezone == "Asia/Tashkent" and saved.subtitle == "Central Asia, weekly"
    assert saved.categories == [["News", "Politics"], ["Society & Culture", None]]
    assert saved.hosts == [
        {"name": "Bruce Pannier", "role": "host", "href": "https://example.org/bruce"}
    ]
    assert saved.directory_links == {"apple": "https://podcasts.apple.com/podcast/id1"}
    assert saved.locked is True and saved.explicit is False
    doc = lxml_html.fromstring(client.get("/admin/show").text)
    assert doc.get_element_by_id("timezone").get("value") == "Asia/Tashkent"
    selected = doc.xpath("//select[@id='categories-0']/option[@selected]/@value")
    assert selected == ["News > Politics"]
    assert doc.get_element_by_id("hosts").text_content().strip() == (
        "Bruce Pannier | host | https://example.org/bruce"
    )


def test_bad_settings_are_explained_and_nothing_changes(client, login, no_csrf, show) -> None:
    login()
    bad = dict(SETTINGS, timezone="Mars/Olympus", owner_email="not-an-email", title="Renamed")
    response = client.post("/admin/show", data=bad)
    assert response.status_code == 422
    doc = lxml_html.fromstring(response.text)
    assert "time zone" in doc.get_element_by_id("timezone-error").text_content()
    assert "valid email" in doc.get_element_by_id("owner_email-error").text_content()
    assert doc.get_element_by_id("title").get("value") == "Renamed"
    db.session.expire_all()
    assert db.session.get(Show, show.id).title == "Majlis"


def test_artwork_of_the_wrong_size_is_refused_with_both_sizes(
    client, login, no_csrf, show, storage
) -> None:
    login()
    data = dict(
        SETTINGS,
        artwork=(io.BytesIO((FIXTURES / "cover-not-square-600x400.jpg").read_bytes()), "c.jpg"),
    )
    response = client.post("/admin/show", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    message = lxml_html.fromstring(response.text).get_element_by_id("artwork-error").text_content()
    assert "600×400" in message and "1400×1400" in message and "3000×3000" in message
    assert list(storage.iter_keys()) == []
    good = dict(SETTINGS, artwork=(io.BytesIO(COVER.read_bytes()), "cover.jpg"))
    assert (
        client.post("/admin/show", data=good, content_type="multipart/form-data").status_code == 302
    )
    db.session.expire_all()
    artwork = db.session.get(Show, show.id).artwork
    assert artwork.width == 1400 and list(storage.iter_keys()) == [artwork.key]


def test_the_show_can_be_created_from_the_form(client, login, no_csrf) -> None:
    login("admin")
    assert client.post("/admin/show", data=SETTINGS).status_code == 302
    show = db.session.query(Show).one()
    assert show.title == "Majlis" and len(show.podcast_guid) == 36
