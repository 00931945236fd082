"""Text and HTML as podcast apps read them: plain text that no reader takes for markup, show
notes in the HTML Apple documents, and the RSS Profile's character references.

Plain-text elements (titles, names, the channel's description) get the characters XML forbids
removed, and the C1 controls and U+FFFD that the W3C validator flags as bad characters; a "<"
that starts something tag-like ("<b>", "</i>", "<!") gets a WORD JOINER after it (invisible), so
that no reader takes the text for HTML and strips it (podcastparser, the W3C's ContainsHTML). The
item's <description> is HTML in CDATA (Apple's accepted form) whose text is escaped: an app
that renders HTML shows exactly the words, one that strips tags loses nothing.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import urljoin

import nh3

from podcast.services.markup import html_text, plain_text, render_markdown, xml_safe

DESCRIPTION_BYTES = 4000  # Apple's limit for <description>
# What Apple documents for show notes (p, ol, ul, li, a) and what PSP-1 adds (b, i, strong, em).
APPLE_TAGS = {"p", "ol", "ul", "li", "a", "b", "strong", "i", "em", "br"}
APPLE_ATTRIBUTES = {"a": {"href", "title", "rel"}}
WORD_JOINER = "\u2060"
_BAD_CHARACTERS = re.compile("[\x80-\x9f\ufffd]")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_CDATA = re.compile(r"(<!\[CDATA\[.*?\]\]>)", re.S)
# Whitespace the unwrapped tags leave behind, and line breaks that end a paragraph.
_TIDY = [
    (re.compile(r"[ \t]*\n\s*"), "\n"),
    (re.compile(r"\s*<br>\s*(?=</p>)"), ""),
    (re.compile(r"(?<=<p>)\s+|\s+(?=</p>)"), ""),
    (re.compile(r"\s*<br>\s*"), "<br>"),
    (re.compile(r"<p></p>"), ""),
]
_REFERENCES = (("&amp;", "&#x26;"), ("&lt;", "&#x3C;"), ("&gt;", "&#x3E;"))
_PRE = re.compile(r"<pre>(.*?)</pre>", re.S)
# How the tags our Markdown makes that Apple does not document degrade.
_DEGRADE = [
    (re.compile(r"<h[1-6]>"), "<p><strong>"),
    (re.compile(r"</h[1-6]>"), "</strong></p>"),
    (re.compile(r"<table>"), "<p>"),
    (re.compile(r"</table>"), "</p>"),
    (re.compile(r"</t[hd]>"), " "),
    (re.compile(r"</tr>"), "<br>"),
    (re.compile(r"<hr\s*/?>"), ""),
]


def feed_text(text: str | None) -> str:
    """Text for a plain-text element or attribute: no forbidden or bad characters, no tags."""
    cleaned = _BAD_CHARACTERS.sub("", xml_safe(text))
    return _TAG_START.sub("<" + WORD_JOINER, cleaned)


def _cut_bytes(text: str, limit: int) -> str:
    """The text cut at a word so that its UTF-8 form fits in `limit` bytes."""
    if len(text.encode()) <= limit:
        return text
    cut = text.encode()[: limit - 3].decode(errors="ignore")
    return cut.rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


def description_html(text: str, limit: int = DESCRIPTION_BYTES) -> str:
    """Plain text as one escaped HTML paragraph whose UTF-8 form fits in `limit` bytes."""
    room = limit - len("<p></p>")
    body = html.escape(_cut_bytes(text, room), quote=False)
    while len(body.encode()) > room:  # escaping grew it: cut the text shorter
        room -= len(body.encode()) - room
        body = html.escape(_cut_bytes(text, max(room, 1)), quote=False)
    return f"<p>{body}</p>"


def apple_html(rendered: str, base_url: str) -> str:
    """Sanitized HTML kept to Apple's tags (headings as strong paragraphs), links absolute."""
    html_text = _PRE.sub(lambda m: "<p>" + m.group(1).replace("\n", "<br>") + "</p>", rendered)
    for pattern, replacement in _DEGRADE:
        html_text = pattern.sub(replacement, html_text)

    def absolute(tag: str, attribute: str, value: str) -> str:
        return urljoin(base_url, value) if attribute == "href" else value

    cleaned = nh3.clean(
        _BAD_CHARACTERS.sub("", html_text),
        tags=APPLE_TAGS,
        attributes=APPLE_ATTRIBUTES,
        attribute_filter=absolute,
        link_rel=None,
        url_schemes={"http", "https", "mailto"},
    )
    for pattern, replacement in _TIDY:
        cleaned = pattern.sub(replacement, cleaned)
    # "]]>" would close the CDATA section; "&gt;" means the same to an HTML reader.
    return cleaned.strip().replace("]]>", "]]&gt;")


# Each item's XML is kept whole between renders (FeedCache), so this serves what makes every
# item render again (a host or URL change): a bounded share of a big catalogue, not all of it.
@lru_cache(maxsize=1024)
def show_notes(description: str, summary: str, base_url: str) -> tuple[str, str, str]:
    """(HTML for content:encoded, HTML for <description>, plain text for itunes:summary),
    cached by the texts themselves.

    Rendering Markdown is the costliest part of an item; keyed on the text, an edit to one
    episode re-renders only that episode's notes.
    """
    rendered = str(render_markdown(description))
    content = apple_html(rendered, base_url) if rendered else ""
    plain = plain_text(summary) if summary else html_text(rendered)
    plain = " ".join(_BAD_CHARACTERS.sub("", xml_safe(plain)).split())
    if not plain:
        return content, "", ""
    return content, description_html(plain), _cut_bytes(feed_text(plain), DESCRIPTION_BYTES)


def profile_references(xml: str) -> str:
    """ "&", "<" and ">" outside CDATA as the hexadecimal references the RSS Profile asks for.

    The same characters to every XML parser; the W3C validator then stops reading plain text
    with "&" or "<" as HTML (its ContainsHTML and CharacterData warnings).
    """
    parts = _CDATA.split(xml)
    for index in range(0, len(parts), 2):
        for entity, reference in _REFERENCES:
            parts[index] = parts[index].replace(entity, reference)
    return "".join(parts)
