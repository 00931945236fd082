"""What every aggregate's parser shares: the UNSET marker, booleans, and choice sentences."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


# A field the input did not give (PATCH): the stored value stays.
UNSET: Any = _Unset()


def parse_bool(value: Any) -> bool:
    """Form and JSON booleans: true/on/yes/1 are True."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "on", "yes", "y"}


def values_of(choices: type[enum.StrEnum]) -> list[str]:
    """An enum's values in declaration order (what the JSON Schema's `enum` lists)."""
    return [member.value for member in choices]


def choose_sentence(choices: type[enum.StrEnum] | Iterable[str]) -> str:
    """'Choose draft, scheduled or published.' for an enum or a list of values."""
    values = values_of(choices) if isinstance(choices, type) else list(choices)
    listed = values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]
    return f"Choose {listed}."
