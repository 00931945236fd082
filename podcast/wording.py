"""Sentences the service layer writes in English and a view may translate for its reader.

Services stay free of Flask-Babel: they build a `Sentence`, which *is* the English text (the API,
the CLI and the logs use it as a plain string) and also remembers its message id and values, so
the admin can render it in the producer's language (podcast.i18n.translate). Message ids are
extracted for the admin catalog with the `say` keyword (babel-admin.cfg, `make translations`).
"""

from __future__ import annotations

from typing import Any


class Sentence(str):
    """English text that keeps its message id and values for a later translation."""

    template: str
    values: dict[str, Any]
    plural: str | None
    number: int | None

    def __new__(
        cls,
        template: str,
        values: dict[str, Any],
        plural: str | None = None,
        number: int | None = None,
    ) -> Sentence:
        """The English sentence: `template % values` (printf-style, as gettext catalogs use)."""
        chosen = plural if plural is not None and number != 1 else template
        text = super().__new__(cls, chosen % values if values else chosen)
        text.template, text.values, text.plural, text.number = template, values, plural, number
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (Sentence, (self.template, self.values, self.plural, self.number))


def say(template: str, **values: Any) -> Sentence:
    """A sentence for people: `say("At most %(limit)s characters.", limit=200)`."""
    return Sentence(template, values)


def say_plural(singular: str, plural: str, number: int, /, **values: Any) -> Sentence:
    """A sentence with a count: `say_plural("%(count)s day", "%(count)s days", n, count=n)`."""
    return Sentence(singular, values, plural, number)


def joined(parts: list[str], separator: str = "; ") -> Sentence:
    """Phrases listed with a separator; each phrase keeps its own translation."""
    names = [f"part{i}" for i in range(len(parts))]
    template = separator.join(f"%({name})s" for name in names)
    return Sentence(template, dict(zip(names, parts, strict=True)))


def please_correct(errors: dict[str, str]) -> Sentence:
    """The summary of a refused input: 'Please correct: title, audio.' (the field names)."""
    return say("Please correct: %(fields)s.", fields=", ".join(sorted(errors)))


def sentences(*parts: str) -> Sentence:
    """Several sentences read as one message; each part keeps its own translation."""
    return joined(list(parts), " ")
