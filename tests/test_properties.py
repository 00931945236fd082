"""Arbitrary unicode, control characters and Markdown never break the feed or a page."""

from __future__ import annotations

import feedparser
import lxml.etree
import lxml.html
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from podcast.errors import ValidationError

HOSTILE = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "<a href='javascript:alert(1)'>x</a>",
        "]]>",
        "<![CDATA[",
        "\x00\x01\x0b\x1f",
        "\ufffe\uffff",
        "Выборы в Узбекистане",
        "Ғ ҳ қ ў ӣ ҷ ә ө ү",
        "# heading\n\n* list\n* items",
        '<svg onload="alert(1)">',
        "&amp; &lt; &#0; &#xD800;",
        "\u202e\u200b",
    ]
)
TEXT = st.lists(st.one_of(HOSTILE, st.text(max_size=40)), max_size=5).map("".join)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _assert_clean_html(body: str) -> None:
    """No script without src, no event handler attribute, no javascript: URL."""
    tree = lxml.html.fromstring(body)
    for script in tree.iter("script"):
        assert script.get("src") or script.get("type") == "application/ld+json", "inline script"
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"event handler {name} on <{element.tag}>"
            if name in {"href", "src", "action"}:
                assert not value.strip().lower().startswith("javascript:"), value


def _assert_feed_parses(client) -> bytes:
    response = client.get("/feed.xml")
    assert response.status_code == 200
    body = response.get_data()
    lxml.etree.fromstring(body)  # strict: raises on any ill-formed byte
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.bozo_exception
    return body


@SETTINGS
@given(title=TEXT, notes=TEXT, summary=TEXT)
@example(title="Nul", notes="before\x00after", summary="\x00")  # PostgreSQL refuses NUL
@example(title="Lone surrogate", notes="\ud800", summary="]]>")
def test_any_episode_text_keeps_feed_and_pages_valid(client, make_episode, title, notes, summary):
    try:
        episode = make_episode(title=title, description=notes, summary=summary)
    except ValidationError as exc:
        # Refused input must be refused with a message that names the field.
        assert exc.fields and set(exc.fields) <= {"title", "summary", "description"}
        return
    _assert_feed_parses(client)
    page = client.get(f"/shows/majlis/episodes/{episode.slug}")
    assert page.status_code == 200
    _assert_clean_html(page.get_data(as_text=True))
    assert episode.slug.isascii() and episode.slug


@SETTINGS
@given(name=TEXT, bio=TEXT)
def test_any_guest_text_keeps_feed_and_pages_valid(client, make_guest, make_episode, name, bio):
    try:
        guest = make_guest(name=name, bio=bio)
    except ValidationError as exc:
        assert exc.fields and set(exc.fields) <= {"name", "bio"}
        return
    make_episode(title="With a guest", guests=[guest.id])
    _assert_feed_parses(client)
    for path in (f"/guests/{guest.slug}", "/"):
        page = client.get(path)
        assert page.status_code == 200
        _assert_clean_html(page.get_data(as_text=True))
