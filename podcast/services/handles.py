"""Show handles: ASCII, lowercase, unique, never changed and never given twice."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.models import RetiredHandle, Show
from podcast.services.slugs import slugify

HANDLE_MAX = 40
_HANDLE = re.compile(r"[a-z][a-z0-9-]{0,38}[a-z0-9]\Z")
# What a handle looks like (for telling one from an id or a typo in a query string).
HANDLE_SHAPE = _HANDLE
# First path segments the service uses, or may one day: a show named so would shadow them.
RESERVED_HANDLES = frozenset(
    {
        "admin", "api", "static", "media", "shows", "show", "guests", "episodes", "feed",
        "feeds", "login", "logout", "account", "sitemap", "robots", "health", "healthz",
        "oembed", "embed", "search", "new", "www", "assets", "well-known", "rss", "favicon",
    }
)  # fmt: skip
HANDLE_SENTENCE = (
    "2 to 40 characters: lowercase ASCII letters, digits and hyphens, starting with a letter "
    "(for example majlis)."
)


def looks_like_handle(value: str) -> bool:
    """True when value could be a handle; anything else names no show (and a NUL or an
    oversized string never reaches the database, which PostgreSQL would refuse with an error)."""
    return 0 < len(value) <= HANDLE_MAX and value.isascii() and value.replace("-", "").isalnum()


def handle_problem(session: Session, handle: str) -> str | None:
    """Why `handle` cannot be a new show's handle, as a sentence; None when it can."""
    if not _HANDLE.match(handle) or "--" in handle:
        return HANDLE_SENTENCE
    if handle in RESERVED_HANDLES:
        return f"'{handle}' is reserved for the service's own pages; choose another."
    if session.scalar(select(Show.id).where(Show.handle == handle)) is not None:
        return f"'{handle}' is taken by another show."
    if session.get(RetiredHandle, handle) is not None:
        return f"'{handle}' belonged to a deleted show; handles are never given twice."
    return None


def handle_from_title(session: Session, title: str) -> str:
    """A free handle made from the title ("Маджлис" -> "madzhlis"), suffixed -2, -3 if taken."""
    base = slugify(title, fallback="show")[: HANDLE_MAX - 4].strip("-")
    if not base[0].isalpha():
        base = f"show-{base}"[: HANDLE_MAX - 4].strip("-")
    handle, counter = base, 2
    while len(handle) < 2 or handle_problem(session, handle) is not None:
        handle = f"{base}-{counter}"
        counter += 1
    return handle
