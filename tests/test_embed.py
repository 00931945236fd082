"""The embeddable player, its framing rules and cookies, oEmbed, and episode artwork on pages."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from support.data import COVER, SAMPLE_MP3

from podcast.extensions import db
from podcast.models import Episode, Show
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, create_episode
from podcast.services.shows import set_artwork, update_show
from podcast.services.uploads import Upload

SITE = "https://podcast.example.org"
CHAPTERS = [{"start": 0, "title": "Introduction"}, {"start": 6, "title": "What the report found"}]


@pytest.fixture
def publish(show: Show, storage: Any) -> Callable[..., Episode]:
    """Create an episode through the pipeline, with artwork of its own when image=True."""

    def factory(title: str = "Silence and Impunity", image: bool = False, **raw: Any) -> Episode:
        raw.setdefault("status", "published")
        data = parse_episode_input({"title": title, **raw}, partial=False, timezone=show.timezone)
        files = Attachments(
            audio=Upload(io.BytesIO(SAMPLE_MP3.read_bytes()), SAMPLE_MP3.name),
            image=Upload(io.BytesIO(COVER.read_bytes()), "cover.jpg") if image else None,
        )
        return create_episode(db.session, storage, show, data, files, max_bytes=2**30)

    return factory


def doc(response: Any) -> lxml.html.HtmlElement:
    """The response's HTML, parsed."""
    return lxml.html.fromstring(response.get_data(as_text=True))


def directives(response: Any) -> dict[str, str]:
    """The Content-Security-Policy's directives by name."""
    policy = response.headers["Content-Security-Policy"]
    return {
        name: value.strip()
        for name, _, value in (part.strip().partition(" ") for part in policy.split(";"))
    }


# --- the player page ---------------------------------------------------------------------


def test_embed_page_has_player_titles_artwork_and_chapters(client, show, publish, storage):
    set_artwork(db.session, storage, show, Upload(io.BytesIO(COVER.read_bytes()), "c.jpg"))
    episode = publish(chapters=CHAPTERS)
    response = client.get(f"/shows/majlis/episodes/{episode.slug}/embed")
    assert response.status_code == 200
    page = doc(response)
    audio = page.xpath("//audio[@id='player']")
    assert len(audio) == 1 and audio[0].get("controls") is not None
    # The same media URL as the episode page's player.
    episode_page = doc(client.get(f"/shows/majlis/episodes/{episode.slug}"))
    assert audio[0].get("src") == episode_page.xpath("//audio[@id='player']/@src")[0]
    assert page.xpath("//h1")[0].text_content().strip() == "Silence and Impunity"
    assert "Majlis" in page.xpath("//*[contains(@class,'kicker')]")[0].text_content()
    # No site header, footer or skip link: it sits inside someone else's page.
    assert not page.xpath("//header[contains(@class,'site-header')] | //footer")
    art = page.xpath("//img[contains(@class,'embed__art')]")
    assert len(art) == 1 and art[0].get("alt") == "" and art[0].get("width") == "72"
    assert art[0].get("src").endswith(".jpg")
    chapters = [" ".join(li.text_content().split()) for li in page.xpath("//ol/li")]
    assert chapters == ["0:00 Introduction", "0:06 What the report found"]
    assert not page.xpath("//script[not(@src)]"), "no inline script (CSP)"


def test_embed_page_prefers_the_episode_artwork_and_has_no_chapters_section_without(
    client, show, publish, storage
):
    set_artwork(db.session, storage, show, Upload(io.BytesIO(COVER.read_bytes()), "c.jpg"))
    episode = publish(image=True)
    page = doc(client.get(f"/shows/majlis/episodes/{episode.slug}/embed"))
    assert page.xpath("//img/@src") == [f"/media/{episode.image.key}"]
    assert not page.xpath("//section[contains(@class,'embed__chapters')]")


def test_embed_page_may_be_framed_anywhere_by_default(client, publish):
    episode = publish()
    response = client.get(f"/shows/majlis/episodes/{episode.slug}/embed")
    assert directives(response)["frame-ancestors"] == "*"
    assert "X-Frame-Options" not in response.headers
    # The rest of the policy stays as strict as on every other page.
    assert directives(response)["script-src"] == "'self'"
    assert directives(response)["default-src"] == "'self'"
    # ...while the episode page itself still refuses to be framed.
    page = client.get(f"/shows/majlis/episodes/{episode.slug}")
    assert directives(page)["frame-ancestors"] == "'none'"
    assert page.headers["X-Frame-Options"] == "DENY"


def test_embed_origins_of_the_show_become_its_frame_ancestors(client, show, publish):
    update_show(db.session, show, {"embed_origins": "https://www.rferl.org https://*.Azattyq.org/"})
    episode = publish()
    response = client.get(f"/shows/majlis/episodes/{episode.slug}/embed")
    assert directives(response)["frame-ancestors"] == "https://www.rferl.org https://*.azattyq.org"
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize(
    "given",
    ["javascript:alert(1)", "https://x.org; script-src *", "https://x.org/path", "ftp://x.org"],
)
def test_embed_origins_that_are_not_origins_are_refused(show, given):
    from podcast.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        update_show(db.session, show, {"embed_origins": given})
    assert "embed_origins" in caught.value.fields


def test_embed_page_sets_no_cookie_even_for_a_signed_in_producer(client, login, publish):
    episode = publish()
    login("producer")
    with client.session_transaction() as session:
        session.permanent = True  # Flask then refreshes the cookie on every request
    # The control: a listener page writes the producer's session cookie again...
    listener = client.get(f"/shows/majlis/episodes/{episode.slug}")
    assert listener.headers.getlist("Set-Cookie")
    # ...the player, framed by another site, never does.
    response = client.get(f"/shows/majlis/episodes/{episode.slug}/embed")
    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []
    assert "cookie" not in response.headers.get("Vary", "").lower()
    assert response.headers["Cache-Control"].startswith("public")
    # A different browser (Flask-Login's strong protection would clear the session) neither.
    other = client.get(
        f"/shows/majlis/episodes/{episode.slug}/embed", headers={"User-Agent": "Other/1.0"}
    )
    assert other.headers.getlist("Set-Cookie") == []


def test_anonymous_embed_page_sets_no_cookie(client, publish):
    episode = publish()
    response = client.get(f"/shows/majlis/episodes/{episode.slug}/embed")
    assert response.headers.getlist("Set-Cookie") == []


@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_embed_of_drafts_and_scheduled_episodes_is_404(client, publish, status):
    raw = {"status": status}
    if status == "scheduled":
        raw["publish_at"] = "2099-01-01T09:00:00+00:00"
    episode = publish(**raw)
    assert client.get(f"/shows/majlis/episodes/{episode.slug}/embed").status_code == 404
    assert client.get(f"/shows/majlis/episodes/{episode.slug}").status_code == 404
    assert client.get("/shows/majlis/episodes/no-such-episode/embed").status_code == 404
    assert client.get(f"/shows/nobody/episodes/{episode.slug}/embed").status_code == 404


def test_primary_show_old_style_embed_url_moves_for_good(client, publish):
    episode = publish()
    response = client.get(f"/episodes/{episode.slug}/embed")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/shows/majlis/episodes/{episode.slug}/embed")


def test_embed_of_another_show_answers_under_its_handle_only(client, second_show, storage):
    data = parse_episode_input(
        {"title": "Азаттык", "status": "published"}, partial=False, timezone="UTC"
    )
    files = Attachments(audio=Upload(io.BytesIO(SAMPLE_MP3.read_bytes()), SAMPLE_MP3.name))
    episode = create_episode(db.session, storage, second_show, data, files, max_bytes=2**30)
    page = client.get(f"/shows/azattyk/episodes/{episode.slug}/embed")
    assert page.status_code == 200
    assert doc(page).get("lang") == "ru"
    assert client.get(f"/shows/majlis/episodes/{episode.slug}/embed").status_code == 404


# --- the episode page offers the code ----------------------------------------------------


def test_episode_page_offers_embed_code_and_oembed_discovery(client, publish):
    episode = publish(chapters=CHAPTERS)
    page = doc(client.get(f"/shows/majlis/episodes/{episode.slug}"))
    box = page.xpath("//details[contains(@class,'embed-code')]")
    assert len(box) == 1
    assert box[0].xpath("summary")[0].text_content().strip() == "Embed this episode"
    area = box[0].xpath(".//textarea")[0]
    assert area.get("readonly") is not None
    assert box[0].xpath(f".//label[@for='{area.get('id')}']")
    frame = lxml.html.fragment_fromstring(area.text_content())
    assert frame.tag == "iframe"
    assert frame.get("src") == f"{SITE}/shows/majlis/episodes/{episode.slug}/embed"
    assert frame.get("width") == "100%"
    assert frame.get("height") == "360"  # room for the chapters
    assert frame.get("title") == "Silence and Impunity · Majlis"
    # The copy button is for scripts to show (site.js); without them the textarea is enough.
    button = box[0].xpath(".//button[@data-copy]")[0]
    assert button.get("data-copy") == area.get("id") and button.get("hidden") is not None

    link = page.xpath("//link[@rel='alternate'][@type='application/json+oembed']")
    assert len(link) == 1 and link[0].get("title") == "Silence and Impunity"
    href = urlsplit(link[0].get("href"))
    assert f"{href.scheme}://{href.netloc}{href.path}" == f"{SITE}/oembed"
    query = parse_qs(href.query)
    assert query["format"] == ["json"]
    assert query["url"] == [f"{SITE}/shows/majlis/episodes/{episode.slug}"]


def test_admin_episode_edit_page_shows_the_embed_code(client, login, publish):
    episode = publish()
    login("producer")
    page = doc(client.get(f"/admin/episodes/{episode.id}/edit"))
    area = page.xpath("//textarea[@id='embed-code']")
    assert len(area) == 1 and area[0].get("readonly") is not None
    assert f"/shows/majlis/episodes/{episode.slug}/embed" in area[0].text_content()
    assert page.xpath("//button[@data-copy='embed-code']")


def test_admin_shows_no_embed_code_for_a_draft(client, login, publish):
    episode = publish(status="draft")
    login("producer")
    page = doc(client.get(f"/admin/episodes/{episode.id}/edit"))
    assert not page.xpath("//textarea[@id='embed-code']")


# --- oEmbed ------------------------------------------------------------------------------


def oembed(client: Any, url: str, **args: str) -> Any:
    """GET /oembed for url with the other arguments."""
    return client.get("/oembed", query_string={"url": url, **args})


def test_oembed_answers_rich_json_for_an_episode_page(client, show, publish, storage):
    set_artwork(db.session, storage, show, Upload(io.BytesIO(COVER.read_bytes()), "c.jpg"))
    episode = publish()
    response = oembed(client, f"{SITE}/shows/majlis/episodes/{episode.slug}", format="json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = json.loads(response.get_data())
    assert body["type"] == "rich" and body["version"] == "1.0"
    assert body["title"] == "Silence and Impunity"
    assert body["provider_name"] == "Majlis" and body["provider_url"] == f"{SITE}/"
    assert body["width"] == 640 and body["height"] == 200
    frame = lxml.html.fragment_fromstring(body["html"])
    assert frame.tag == "iframe"
    assert frame.get("src") == f"{SITE}/shows/majlis/episodes/{episode.slug}/embed"
    assert (frame.get("width"), frame.get("height")) == ("640", "200")
    assert frame.get("title")
    assert body["thumbnail_url"] == f"{SITE}/media/{show.artwork.key}"
    assert (body["thumbnail_width"], body["thumbnail_height"]) == (1400, 1400)


def test_oembed_thumbnail_is_the_episode_artwork_and_absent_without_any(client, publish):
    plain = publish("Plain")
    body = json.loads(oembed(client, f"{SITE}/shows/majlis/episodes/{plain.slug}").get_data())
    assert "thumbnail_url" not in body and "thumbnail_width" not in body
    pictured = publish("Pictured", image=True)
    body = json.loads(oembed(client, f"{SITE}/shows/majlis/episodes/{pictured.slug}").get_data())
    assert body["thumbnail_url"] == f"{SITE}/media/{pictured.image.key}"


def test_oembed_respects_maxwidth_and_maxheight(client, publish):
    episode = publish(chapters=CHAPTERS)
    url = f"{SITE}/shows/majlis/episodes/{episode.slug}"
    body = json.loads(oembed(client, url, maxwidth="400", maxheight="300").get_data())
    assert (body["width"], body["height"]) == (400, 300)
    frame = lxml.html.fragment_fromstring(body["html"])
    assert (frame.get("width"), frame.get("height")) == ("400", "300")
    roomy = json.loads(oembed(client, url, maxwidth="2000", maxheight="2000").get_data())
    assert (roomy["width"], roomy["height"]) == (640, 360)
    assert oembed(client, url, maxwidth="wide").status_code == 400
    assert oembed(client, url, maxheight="0").status_code == 400


def test_oembed_takes_the_primary_show_old_episode_url(client, publish):
    episode = publish()
    response = oembed(client, f"{SITE}/episodes/{episode.slug}")
    assert response.status_code == 200
    assert f"/shows/majlis/episodes/{episode.slug}/embed" in json.loads(response.get_data())["html"]


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/shows/majlis/episodes/{slug}",
        "http://podcast.example.org.evil.com/shows/majlis/episodes/{slug}",
        f"{SITE}/shows/majlis/",
        f"{SITE}/shows/majlis/episodes/no-such-episode",
        f"{SITE}/shows/nobody/episodes/{{slug}}",
        f"{SITE}/guests/someone",
        f"{SITE}/feed.xml",
        "not a url",
    ],
)
def test_oembed_of_unknown_or_foreign_urls_is_404(client, publish, url):
    episode = publish()
    assert oembed(client, url.format(slug=episode.slug)).status_code == 404


def test_oembed_of_a_draft_is_404(client, publish):
    episode = publish(status="draft")
    assert oembed(client, f"{SITE}/shows/majlis/episodes/{episode.slug}").status_code == 404


def test_oembed_xml_is_not_implemented_and_url_is_required(client, publish):
    episode = publish()
    url = f"{SITE}/shows/majlis/episodes/{episode.slug}"
    assert oembed(client, url, format="xml").status_code == 501
    assert client.get("/oembed").status_code == 400


# --- episode artwork on the public pages -------------------------------------------------


def test_episode_artwork_on_its_page_and_in_the_list_with_empty_alt(client, publish):
    pictured = publish("Pictured", image=True)
    plain = publish("Plain")
    page = doc(client.get(f"/shows/majlis/episodes/{pictured.slug}"))
    art = page.xpath("//header[contains(@class,'episode__header')]//img")
    assert len(art) == 1
    # Decorative: the heading next to it already says the title.
    assert art[0].get("alt") == ""
    assert art[0].get("src") == f"/media/{pictured.image.key}"
    assert (art[0].get("width"), art[0].get("height")) == ("160", "160")
    plain_page = doc(client.get(f"/shows/majlis/episodes/{plain.slug}"))
    assert not plain_page.xpath("//header[contains(@class,'episode__header')]//img")

    home = doc(client.get("/"))
    cards = {
        " ".join(card.xpath(".//*[contains(@class,'card__title')]")[0].text_content().split()): card
        for card in home.xpath("//ol[contains(@class,'episode-list')]//article")
    }
    card_art = cards["Pictured"].xpath(".//img")
    assert len(card_art) == 1
    assert card_art[0].get("alt") == "" and card_art[0].get("loading") == "lazy"
    assert (card_art[0].get("width"), card_art[0].get("height")) == ("96", "96")
    assert not cards["Plain"].xpath(".//img")
    assert doc(client.get("/shows/majlis/")).xpath("//article//img[@alt='']")


def test_embed_origins_are_set_through_the_api(client, publish, api_token):
    episode = publish()
    headers = api_token("admin")
    answer = client.patch(
        "/api/v1/show", json={"embed_origins": "https://www.rferl.org"}, headers=headers
    )
    assert answer.status_code == 200 and answer.json["embed_origins"] == "https://www.rferl.org"
    player = client.get(f"/shows/majlis/episodes/{episode.slug}/embed")
    assert directives(player)["frame-ancestors"] == "https://www.rferl.org"
    refused = client.patch("/api/v1/show", json={"embed_origins": "evil"}, headers=headers)
    assert refused.status_code == 422 and "embed_origins" in refused.json["error"]["fields"]
    cleared = client.patch("/api/v1/show", json={"embed_origins": ""}, headers=headers)
    assert cleared.json["embed_origins"] == ""
    player = client.get(f"/shows/majlis/episodes/{episode.slug}/embed")
    assert directives(player)["frame-ancestors"] == "*"
