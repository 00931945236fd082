"""What a fetched document is, told from its first bytes: a web page, JSON, an image, audio."""

from __future__ import annotations

from podcast.wording import Sentence, say

_SIGNATURES = (
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"ID3", "audio"),
    (b"%PDF", "pdf"),
)


def looks_like_html(body: bytes) -> bool:
    """True when the bytes start like an HTML page."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or (
        head.startswith(b"<") and b"<html" in head and b"<rss" not in head
    )


def not_a_feed(body: bytes, url: str) -> Sentence | None:
    """A sentence for bytes that are plainly something other than XML, None otherwise."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return say("%(url)s is empty, not a feed.", url=url)
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            if kind == "image":
                return say("%(url)s is an image, not a podcast feed.", url=url)
            if kind == "audio":
                return say(
                    "%(url)s is an audio file, not a podcast feed; give the address of the feed.",
                    url=url,
                )
            return say("%(url)s is a PDF document, not a podcast feed.", url=url)
    if head[:1] in (b"{", b"["):
        return say("%(url)s is JSON, not an RSS podcast feed.", url=url)
    if looks_like_html(body):
        return say("%(url)s is a web page, not an RSS podcast feed.", url=url)
    if not head.startswith(b"<") and not head.startswith((b"\xfe\xff", b"\xff\xfe")):
        return say("%(url)s is not a podcast feed (it is not XML).", url=url)
    return None
