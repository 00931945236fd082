"""Plain-text excerpts (cards, meta descriptions, the feed's itunes:summary) read as the notes
were written: no space where bold, a link or code was, one space between blocks."""

from __future__ import annotations

import pytest
from lxml import etree

from podcast.services.markup import plain_text

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


@pytest.mark.parametrize(
    ("notes", "expected"),
    [
        (
            "Reporting from **Uzbekistan**. She was there.",
            "Reporting from Uzbekistan. She was there.",
        ),
        ("See [the report](https://example.org), then *ask*.", "See the report, then ask."),
        ("un**believ**able `x`; ~~gone~~!", "unbelievable x; gone!"),
        ("First paragraph.\n\nSecond one.", "First paragraph. Second one."),
        ("## Heading\nText\n\n- one\n- two", "Heading Text one two"),
        ("Line one  \nline two", "Line one line two"),
        ("| a | b |\n|---|---|\n| c | d |", "a b c d"),
    ],
)
def test_inline_markup_leaves_no_gap_and_blocks_leave_one(notes, expected) -> None:
    assert plain_text(notes) == expected


def test_the_feed_s_summary_has_no_stray_space(client, make_episode) -> None:
    make_episode("Words", description="Guests from **Uzbekistan**. She said [so](https://x.org).")
    item = etree.fromstring(client.get("/feed.xml").data).find("channel/item")
    assert item.findtext(f"{ITUNES}summary") == "Guests from Uzbekistan. She said so."


def test_the_home_list_s_excerpt_has_no_stray_space(client, make_episode) -> None:
    make_episode("Words", description="Guests from **Uzbekistan**. She said so.")
    assert "Guests from Uzbekistan. She said so." in client.get("/").get_data(as_text=True)
