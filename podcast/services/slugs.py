"""ASCII slugs, transliterated from any script: 'Выборы' becomes 'vybory'."""

from __future__ import annotations

import re
from collections.abc import Callable

from unidecode import unidecode

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
MAX_SLUG_LENGTH = 80


def slugify(text: str, fallback: str = "item") -> str:
    """A lower-case ASCII slug of the text (transliterated), or `fallback` when nothing is left."""
    ascii_text = unidecode(text or "").lower().replace("'", "")
    slug = _NON_ALNUM.sub("-", ascii_text).strip("-")
    if len(slug) > MAX_SLUG_LENGTH:
        slug = slug[:MAX_SLUG_LENGTH].rsplit("-", 1)[0] or slug[:MAX_SLUG_LENGTH]
    return slug or fallback


def unique_slug(text: str, taken: Callable[[str], bool], fallback: str = "item") -> str:
    """The slug of `text`, suffixed -2, -3, ... until `taken(slug)` is False."""
    base = slugify(text, fallback)
    slug, counter = base, 2
    while taken(slug):
        slug = f"{base}-{counter}"
        counter += 1
    return slug
