"""Markdown to sanitized HTML, plain-text excerpts, and text made safe for XML."""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "li",
    "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr",
    "ul", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

# XML 1.0 allows TAB, LF, CR and everything from U+0020 except surrogates and U+FFFE/U+FFFF.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_TAGS = re.compile(r"<[^>]*>")
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")
# Tags inside a line of text: their edges are no word boundary ("**Uzbekistan**." is one word
# and its full stop); every other tag (paragraph, item, heading, cell, break) is one.
INLINE_TAGS = frozenset({"a", "abbr", "b", "code", "del", "em", "i", "s", "strong", "sub", "sup"})
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Raw HTML in Markdown is escaped, not passed through: the sanitizer is a second wall.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def sanitize_html(fragment: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes."""
    return nh3.clean(
        xml_safe(fragment),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str | None) -> Markup:
    """Markdown rendered to sanitized HTML, safe to put in a page or a feed."""
    if not text:
        return Markup("")
    # The first heading level on our pages is the episode title; demote Markdown's h1.
    rendered = _parser().render(xml_safe(text)).replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(sanitize_html(rendered))


def plain_text(text: str | None, limit: int | None = None) -> str:
    """Markdown or HTML reduced to one line of plain text, cut at a word under `limit`."""
    if not text:
        return ""
    flat = html_text(_parser().render(xml_safe(text)))
    if limit and len(flat) > limit:
        cut = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:")
        flat = cut + "…"
    return flat


def html_text(rendered: str) -> str:
    """HTML reduced to one line of its words: a space where a block ends, none at inline tags."""
    return _SPACES.sub(" ", html.unescape(_TAGS.sub(_tag_gap, rendered))).strip()


def _tag_gap(match: re.Match[str]) -> str:
    name = _TAG_NAME.match(match.group(0))
    return "" if name and name.group(1).lower() in INLINE_TAGS else " "


def xml_safe(text: str | None) -> str:
    """The text without the characters XML 1.0 forbids (C0 controls, surrogates, U+FFFE/F)."""
    if not text:
        return ""
    return _XML_FORBIDDEN.sub("", text)


def has_control_characters(text: str) -> bool:
    """True when the text holds control characters (other than tab, newline, return)."""
    return bool(_CONTROL.search(text))
