"""Episode search: PostgreSQL full-text search in the show's language, LIKE elsewhere.

On PostgreSQL each episode carries the text search configuration of its show's language
(`search_config`: english, russian, ... or simple where PostgreSQL has no stemmer for it, as
for Kazakh, Uzbek, Tajik and Kyrgyz), and a GIN index covers `SEARCH_DOCUMENT`. Each word of a
query is a prefix ("equal" finds "equality"; in a Russian show "выборах" finds "выборы"); on
SQLite each word is a substring of the text, case-insensitively.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select

from podcast.models import SEARCH_DOCUMENT, Episode, EpisodeGuest, Guest

# ISO 639-1 codes of the configurations every PostgreSQL since 11 ships.
CONFIG_OF_LANGUAGE = {
    "da": "danish", "de": "german", "en": "english", "es": "spanish", "fi": "finnish",
    "fr": "french", "hu": "hungarian", "it": "italian", "nb": "norwegian", "nl": "dutch",
    "nn": "norwegian", "no": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sv": "swedish", "tr": "turkish",
}  # fmt: skip
NO_STEMMER = "simple"
WORDS_MAX = 8
_LEXEME = re.compile(r"[^\W_]+")  # letters and digits: what a tsquery term may hold


def search_config(language: str | None) -> str:
    """The text search configuration for a show in `language` (a BCP 47 tag)."""
    primary = (language or "").split("-")[0].lower()
    return CONFIG_OF_LANGUAGE.get(primary, NO_STEMMER)


def _contains(column: Any, word: str) -> ColumnElement[bool]:
    # autoescape: "%", "_" and the escape character match only themselves, on every database
    # (SQLite's LIKE has no default escape character, PostgreSQL's is the backslash).
    return func.lower(column).contains(word, autoescape=True)


def _in_text(word: str) -> ColumnElement[bool]:
    return or_(
        _contains(Episode.title, word),
        _contains(Episode.summary, word),
        _contains(Episode.description, word),
    )


def _guest_match(word: str) -> Select[Any]:
    return select(EpisodeGuest.episode_id).join(Guest).where(_contains(Guest.name, word))


def _full_text(word: str, config: str | None) -> ColumnElement[bool]:
    """The episodes the index finds for `word`: every letter-and-digit run of it as a prefix;
    a word with other characters ("50%", "back\\slash") is then checked as written."""
    lexemes = _LEXEME.findall(word)
    if not lexemes:
        return _in_text(word)
    terms = func.to_tsquery(
        literal_column(f"'{config}'::regconfig") if config else Episode.search_config,
        " & ".join(f"'{lexeme}':*" for lexeme in lexemes),
    )
    found = literal_column(SEARCH_DOCUMENT).op("@@")(terms)
    return found if word.isalnum() else and_(found, _in_text(word))


def matching(statement: Select[Any], query: str, dialect: str, config: str | None) -> Select[Any]:
    """`statement` narrowed to episodes whose title, summary, notes or guest names hold every
    word of `query`; `config`: the show's search configuration (None: each episode's own)."""
    for word in query.lower().split()[:WORDS_MAX]:
        if dialect == "postgresql":
            # A union, not an OR, so that neither side falls back to reading every episode.
            found = select(Episode.id).where(_full_text(word, config))
            statement = statement.where(Episode.id.in_(found.union(_guest_match(word))))
        else:
            statement = statement.where(or_(_in_text(word), Episode.id.in_(_guest_match(word))))
    return statement
