"""Hostile input that used to answer 500 or lie: each gets a 4xx with a sentence, or the truth."""

from __future__ import annotations

import lxml.html
import pytest


def _titles(client, query: str) -> list[str]:
    response = client.get("/", query_string={"q": query})
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    return [" ".join(h.text_content().split()) for h in doc.xpath("//h3")]


# --- search: LIKE wildcards are ordinary characters ------------------------------------------


@pytest.mark.parametrize("query", ["%", "_", "\\", "%%", "a_c", "50%"])
def test_search_wildcards_match_only_themselves(client, make_episode, query):
    make_episode(title="Silence and Impunity")
    make_episode(title="abc and more")
    assert _titles(client, query) == []


def test_search_finds_literal_percent_underscore_and_backslash(client, make_episode):
    make_episode(title="Turnout of 50% in Bishkek")
    make_episode(title="snake_case and back\\slash")
    make_episode(title="Turnout of 500 in Osh")
    assert _titles(client, "50%") == ["Turnout of 50% in Bishkek"]
    assert _titles(client, "snake_case") == ["snake_case and back\\slash"]
    assert _titles(client, "back\\slash") == ["snake_case and back\\slash"]
