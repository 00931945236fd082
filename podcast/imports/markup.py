"""Third-party show notes (HTML from another host) to our Markdown: sanitized first, then
converted (the only module importing markdownify)."""

from __future__ import annotations

import html
import re

from markdownify import markdownify

from podcast.services.markup import sanitize_html, xml_safe

_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")
_LOOKS_LIKE_HTML = re.compile(r"<[A-Za-z/!][^>]*>|&[A-Za-z#][A-Za-z0-9]*;")


def html_to_markdown(fragment: str) -> str:
    """Show notes as Markdown: the HTML sanitized with our allow-list (nh3: no script, no
    style, no event handler survives), then turned into Markdown; plain text stays as it is."""
    text = xml_safe(fragment or "").replace("\r\n", "\n").strip()
    if not text:
        return ""
    if not _LOOKS_LIKE_HTML.search(text):
        return text
    clean = sanitize_html(text)
    converted = markdownify(
        clean,
        heading_style="ATX",
        bullets="-",
        strong_em_symbol="*",
        escape_underscores=False,
        escape_asterisks=True,
    )
    converted = _TRAILING_SPACES.sub("\n", converted)
    return _BLANK_LINES.sub("\n\n", converted).strip()


def plain(fragment: str) -> str:
    """Text without tags, entities resolved, spaces collapsed (a summary or a title)."""
    text = re.sub(r"<[^>]*>", " ", xml_safe(fragment or ""))
    return " ".join(html.unescape(text).split())
