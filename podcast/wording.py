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


def record(text: str | None) -> dict[str, Any] | None:
    """A Sentence as JSON for a database column beside its English text; None for plain text.

    Job messages, delivery errors and upload warnings are stored as English (the API reads
    them); the record lets the admin show them in the producer's language later.
    """
    if not isinstance(text, Sentence):
        return None
    found: dict[str, Any] = {
        "say": text.template,
        "text": str(text),
        "values": {name: _stored_value(value) for name, value in text.values.items()},
    }
    if text.plural is not None:
        found["plural"], found["number"] = text.plural, text.number
    return found


def _stored_value(value: Any) -> Any:
    if isinstance(value, Sentence):
        return {"sentence": record(value)}
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)


def _revived(kept: dict[str, Any]) -> Sentence:
    values = {}
    for name, value in (kept.get("values") or {}).items():
        inner = value.get("sentence") if isinstance(value, dict) else None
        values[name] = _revived(inner) if isinstance(inner, dict) else value
    return Sentence(str(kept["say"]), values, kept.get("plural"), kept.get("number"))


def revive(text: str, kept: dict[str, Any] | None) -> str:
    """The stored English text as a Sentence again when its record still describes it.

    A record written for other words (the text was changed without it) is ignored: the text
    as it is, untranslated, is right where a stale translation would not be.
    """
    if not isinstance(kept, dict) or kept.get("text") != text or "say" not in kept:
        return text
    try:
        sentence = _revived(kept)
    except (KeyError, TypeError, ValueError):
        return text
    return sentence if str(sentence) == text else text


def records(texts: list[str]) -> list[dict[str, Any] | None] | None:
    """record() of each text; None when none of them is a Sentence."""
    found = [record(text) for text in texts]
    return found if any(found) else None


def revive_all(texts: list[str], kept: list[Any] | None) -> list[str]:
    """revive() of each text with its record (records() of the same list)."""
    kept = kept if isinstance(kept, list) and len(kept) == len(texts) else [None] * len(texts)
    return [revive(text, one) for text, one in zip(texts, kept, strict=True)]
