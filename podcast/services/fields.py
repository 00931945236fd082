"""What every aggregate's parser shares: the UNSET marker, booleans, choice sentences and the
range of dates."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from podcast.wording import say


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


# A language: a BCP 47 tag of the common form (en, ru, uz-Latn); ECMA-262 too (the API schema).
LANGUAGE_PATTERN = "^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$"
LANGUAGE_MAX = 16
LANGUAGE_SENTENCE = say("An ISO 639 code such as en, ru or uz-Latn.")
_LANGUAGE = re.compile(LANGUAGE_PATTERN[1:-1])
URL_MAX = 500  # every stored URL (website, links, funding, directories) fits this column

# A field the input did not give (PATCH): the stored value stays.
UNSET: Any = _Unset()

# Every date any surface takes (in UTC): shown in any time zone, Python, the browsers' date
# inputs and the feed's RFC 822 dates can still write it (year 1 or 9999 cannot be, once moved).
DATE_MIN = datetime(1900, 1, 1, tzinfo=UTC)
DATE_MAX = datetime(2200, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
DATE_RANGE_SENTENCE = say(
    "Give a date from %(first)s to %(last)s.", first=DATE_MIN.year, last=DATE_MAX.year
)


def date_in_range(moment: datetime) -> bool:
    """True for a tz-aware moment from DATE_MIN to DATE_MAX."""
    return DATE_MIN <= moment <= DATE_MAX


def parse_bool(value: Any) -> bool:
    """Form and JSON booleans: true/on/yes/1 are True."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "on", "yes", "y"}


def is_language(value: str) -> bool:
    """True for a language tag this service takes (LANGUAGE_PATTERN, at most LANGUAGE_MAX)."""
    return len(value) <= LANGUAGE_MAX and _LANGUAGE.fullmatch(value) is not None


def values_of(choices: type[enum.StrEnum]) -> list[str]:
    """An enum's values in declaration order (what the JSON Schema's `enum` lists)."""
    return [member.value for member in choices]


def choose_sentence(choices: type[enum.StrEnum] | Iterable[str]) -> str:
    """'Choose draft, scheduled or published.' for an enum or a list of values."""
    values = values_of(choices) if isinstance(choices, type) else list(choices)
    if len(values) == 1:
        return say("Choose %(value)s.", value=values[0])
    return say("Choose %(values)s or %(last)s.", values=", ".join(values[:-1]), last=values[-1])
