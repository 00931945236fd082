"""The security headers' policy, declared once: every page's CSP, and the pages other sites
may frame (the embeddable player), which set their own frame-ancestors and write no cookie."""

from __future__ import annotations

from flask import request

_POLICY = (
    "default-src 'self'; img-src 'self' data: https:; media-src 'self' https:; "
    "script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors {ancestors}"
)
# A third-party frame must not carry (nor refresh) a producer's session cookie, and a page that
# writes none stays cacheable by everyone.
FRAMEABLE_ENDPOINTS = frozenset({"embed.player"})


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """The CSP of every page; frame_ancestors says who may frame it (nobody by default)."""
    return _POLICY.format(ancestors=frame_ancestors)


def frameable() -> bool:
    """True when this request is for a page other sites may frame (no X-Frame-Options, no
    cookie)."""
    return request.endpoint in FRAMEABLE_ENDPOINTS


def chart_security_policy(style_hashes: tuple[str, ...]) -> str:
    """The CSP of a chart served as its own SVG document: nothing but its own stylesheets."""
    styles = " ".join(f"'{digest}'" for digest in style_hashes) or "'none'"
    return f"default-src 'none'; style-src {styles}; frame-ancestors 'self'"
