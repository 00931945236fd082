"""Search in the show's language: on PostgreSQL full-text search (stemmed where PostgreSQL has
a stemmer for the language, word prefixes everywhere); on SQLite substrings. Both keep every
word of the query required and find guests by name."""

from __future__ import annotations

import lxml.html
import pytest

from podcast.extensions import db
from podcast.models import Episode
from podcast.services.search import search_config
from podcast.services.shows import update_show


def _titles(client, path: str) -> list[str]:
    page = lxml.html.fromstring(client.get(path).get_data(as_text=True))
    return sorted(" ".join(h.text_content().split()) for h in page.xpath("//h3"))


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.mark.parametrize(
    ("language", "config"),
    [("en", "english"), ("ru", "russian"), ("kk", "simple"), ("uz-Latn", "simple"), ("", "simple")],
)
def test_each_language_has_its_configuration(language, config):
    assert search_config(language) == config


def test_a_word_beginning_finds_the_episode_and_every_word_is_required(client, make_episode):
    make_episode(title="Equality Now reports on Central Asia")
    make_episode(title="Water in the Ferghana valley")
    assert _titles(client, "/?q=equal") == ["Equality Now reports on Central Asia"]
    assert _titles(client, "/?q=equal+ferghana") == []
    assert _titles(client, "/?q=ferghana+valley") == ["Water in the Ferghana valley"]


def test_a_guest_word_and_a_title_word_together(client, make_episode, make_guest):
    guest = make_guest("Дильфуза Куролова")
    make_episode(title="Законы о насилии", guests=[guest.id])
    make_episode(title="Законы о воде")
    assert _titles(client, "/?q=куролова+законы") == ["Законы о насилии"]


def test_a_russian_show_finds_other_forms_of_a_word_on_postgresql(
    client, show, second_show, make_episode
):
    make_episode(title="Выборы в Казахстане", in_show=second_show)
    found = _titles(client, "/shows/azattyk/?q=выборах")
    # PostgreSQL's Russian stemmer makes "выборах" and "Выборы" one word; a substring cannot.
    assert found == (["Выборы в Казахстане"] if _postgres() else [])
    assert _titles(client, "/shows/azattyk/?q=выбор") == ["Выборы в Казахстане"]


def test_a_show_that_changes_language_is_searched_in_the_new_one(client, show, make_episode):
    episode = make_episode(title="Выборы в Кыргызстане")
    assert db.session.get(Episode, episode.id).search_config == "english"
    update_show(db.session, show, {"language": "ru"})
    db.session.expire_all()
    assert db.session.get(Episode, episode.id).search_config == "russian"
    assert _titles(client, "/?q=выборах") == (["Выборы в Кыргызстане"] if _postgres() else [])


def test_drafts_are_never_found(client, make_episode):
    make_episode(title="Unreleased equality story", status="draft")
    assert _titles(client, "/?q=unreleased") == []


def test_the_index_answers_a_search_on_postgresql(app, show, make_episode):
    if not _postgres():
        pytest.skip("the GIN index is PostgreSQL's")
    from sqlalchemy import text

    from podcast.services.queries import search_public_episodes

    make_episode(title="Equality Now")
    statement = search_public_episodes("equality", show_id=show.id)
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))  # a tiny table: make the choice visible
        plan = "\n".join(row[0] for row in conn.execute(text(f"EXPLAIN {compiled}")))
    assert "ix_episode_search" in plan, plan
