"""Where a show's embeddable player may be framed: the embed_origins setting, checked and
turned into a CSP frame-ancestors list."""

from __future__ import annotations

import re

from podcast.wording import say

# Empty: any site may frame the player. It is public, carries no cookie and no form, so being
# framed risks nothing (no clickjacking target); a show may still narrow it to its partners.
ANY_ORIGIN = "*"
EMBED_ORIGINS_MAX = 1000
ORIGINS_MAX = 20
# What CSP's frame-ancestors takes of a host-source: scheme, host (a leading *. for every
# subdomain), optional port; no path (a site frames from any of its pages).
_ORIGIN = re.compile(
    r"https?://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?"
)
ORIGINS_SENTENCE = say(
    "Origins such as https://www.example.org or https://*.example.org, separated by spaces "
    "(empty: any site)."
)


def parse_embed_origins(raw: object) -> tuple[str | None, str | None]:
    """(the origins as stored, space-separated and lowercase, None when empty; the sentence
    saying what is wrong, or None)."""
    text = str(raw or "").replace(",", " ")
    if len(text) > EMBED_ORIGINS_MAX:
        return None, say("At most %(count)s characters.", count=EMBED_ORIGINS_MAX)
    origins: list[str] = []
    for given in text.split():
        origin = given.lower().rstrip("/")
        if origin == ANY_ORIGIN:
            return None, None  # anywhere: the same as empty
        if origin != "'self'" and not _ORIGIN.fullmatch(origin):
            return None, ORIGINS_SENTENCE
        if origin not in origins:
            origins.append(origin)
    if len(origins) > ORIGINS_MAX:
        return None, say("At most %(count)s origins.", count=ORIGINS_MAX)
    return (" ".join(origins) or None), None


def frame_ancestors(embed_origins: str | None) -> str:
    """The CSP frame-ancestors sources for a show's player: its origins, else any site."""
    return embed_origins or ANY_ORIGIN
