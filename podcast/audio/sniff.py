"""Tell containers apart by their first bytes, and name what is not audio."""

from __future__ import annotations

from podcast.errors import AudioError
from podcast.wording import say, sentences

UPLOAD_INSTEAD = say("Upload the episode as an MP3 or M4A (AAC) file.")


def not_audio(what: str) -> AudioError:
    """The refusal for a file that is something else, named."""
    return AudioError(
        sentences(
            say("This file is not audio (it looks like %(what)s).", what=what), UPLOAD_INSTEAD
        )
    )


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", say("a JPEG image")),
    (b"\x89PNG\r\n\x1a\n", say("a PNG image")),
    (b"GIF87a", say("a GIF image")),
    (b"GIF89a", say("a GIF image")),
    (b"%PDF", say("a PDF document")),
    (b"PK\x03\x04", say("a ZIP archive or an Office document")),
    (b"Rar!", say("a RAR archive")),
    (b"7z\xbc\xaf", say("a 7-Zip archive")),
    (b"{\\rtf", say("an RTF document")),
    (b"\xd0\xcf\x11\xe0", say("an old Office document")),
)
_OTHER_MEDIA: tuple[tuple[bytes, bytes, str], ...] = (  # (bytes 0-3, bytes 8-11, what it is)
    (b"", b"qt  ", say("a QuickTime video, not audio")),
    (b"RIFF", b"AVI ", say("an AVI video, not audio")),
    (b"\x1a\x45\xdf\xa3", b"", say("a WebM or Matroska file, which podcast apps can't play")),
    (b"\x30\x26\xb2\x75", b"", say("a Windows Media (WMA/WMV) file")),
    (b"#!AM", b"", say("an AMR voice recording")),
)


def sniff(head: bytes) -> str:
    """The container `head` starts with, or raise AudioError naming what it is instead."""
    for start, at8, what in _OTHER_MEDIA:
        if head.startswith(start) and head[8:].startswith(at8) and (start or head[4:8] == b"ftyp"):
            raise AudioError(sentences(say("This is %(what)s.", what=what), UPLOAD_INSTEAD))
    if head.startswith(b"ID3"):
        return "id3"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        if b"OpusHead" in head[:200]:
            return "ogg_opus"
        if b"\x01vorbis" in head[:200]:
            return "ogg_vorbis"
        raise AudioError(
            sentences(
                say(
                    "This Ogg file holds neither Vorbis nor Opus audio"
                    " (perhaps video, Speex or FLAC)."
                ),
                UPLOAD_INSTEAD,
            )
        )
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[4:8] == b"ftyp":
        return "mp4"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise not_audio(what)
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        raise AudioError(
            say(
                "This is a raw AAC stream (ADTS) without a container; "
                "save it as M4A (or export an MP3) and upload that."
            )
        )
    return "mpeg"


def describe_unknown(head: bytes) -> AudioError:
    """The best refusal for bytes that match no known container."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in text:
        return not_audio(say("a web page (HTML)"))
    if text.startswith(b"<?xml") or text.startswith(b"<rss"):
        return not_audio(say("an XML document"))
    try:
        decoded = head.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        decoded = head[: exc.start].decode("utf-8") if exc.start > len(head) - 4 else ""
    if decoded and all(c.isprintable() or c in "\r\n\t" for c in decoded):
        return not_audio(say("a text file"))
    return AudioError(sentences(say("This file is not audio we can read."), UPLOAD_INSTEAD))
