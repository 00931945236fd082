"""Transcripts: SRT or WebVTT in, cues out, stored as WebVTT."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass

import srt
import webvtt

from podcast.errors import ValidationError
from podcast.services.markup import xml_safe
from podcast.wording import say

# The cue-text tags WebVTT defines (voice, class, italic, bold, underline, ruby, language)
# and its timestamp tags; anything else that looks like a tag is text, escaped.
WEBVTT_TAGS = {"c", "i", "b", "u", "ruby", "rt", "v", "lang"}
_ANNOTATED = {"v", "lang"}
_DROPPED_SRT_TAGS = {"font"}  # SRT's colour markup has no WebVTT equivalent: kept as plain text
_TOKEN = re.compile(
    r"<(?P<end>/?)(?P<name>[A-Za-z]+)(?P<classes>(?:\.[^\s.<>&]+)*)(?:[ \t]+(?P<note>[^<>\n]*))?>"
    r"|(?P<time><(?:\d+:)?\d{2}:\d{2}\.\d{3}>)"
    r"|(?P<ref>&(?:[A-Za-z][A-Za-z0-9]*|#\d+|#[xX][0-9A-Fa-f]+);)"
)


@dataclass(frozen=True)
class Cue:
    """One timed line of a transcript: plain text for pages, WebVTT cue text for the file."""

    start: float
    end: float
    text: str
    speaker: str | None = None
    markup: str | None = None  # WebVTT cue text (tags kept, & and < escaped); None: from text


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def cue_text(raw: str, *, references: bool) -> tuple[str, str, str | None]:
    """(WebVTT markup, plain text, speaker) of one cue's raw text.

    WebVTT's own tags are kept, a bare & or < is escaped (Chromium drops the rest of a cue at
    a bare one), and character references are kept when the source is WebVTT (`references`);
    in SRT, which has none, "&amp;" is the text the producer typed.
    """
    markup, plain, speaker, at = [], [], None, 0
    for match in _TOKEN.finditer(raw):
        text = raw[at : match.start()]
        markup.append(_escape(text))
        plain.append(text)
        at = match.end()
        token = match.group(0)
        name = (match.group("name") or "").lower()
        if match.group("time"):
            markup.append(token)
        elif match.group("ref"):
            markup.append(token if references else _escape(token))
            plain.append(html.unescape(token) if references else token)
        elif name in WEBVTT_TAGS:
            note = (match.group("note") or "").strip()
            if match.group("end") or name not in _ANNOTATED or not note:
                markup.append(f"<{match.group('end')}{name}{match.group('classes')}>")
            else:
                note = html.unescape(note) if references else note
                speaker = speaker or (note if name == "v" else None)
                markup.append(f"<{name}{match.group('classes')} {_escape(note)}>")
        elif name in _DROPPED_SRT_TAGS and not references:
            continue
        else:
            markup.append(_escape(token))
            plain.append(token)
    markup.append(_escape(raw[at:]))
    plain.append(raw[at:])
    return "".join(markup).strip(), " ".join("".join(plain).split()), speaker


def _bad(reason: str) -> ValidationError:
    message = say(
        "The transcript could not be read: %(reason)s. Upload an SRT or WebVTT (.vtt) file.",
        reason=reason,
    )
    return ValidationError(message, fields={"transcript": message})


def parse_transcript(data: bytes) -> list[Cue]:
    """Parse SRT or WebVTT bytes (detected by content) into cues; refuses anything else."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad("it is not UTF-8 text") from None
    text = xml_safe(text).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise _bad("it is empty")
    cues = _parse_vtt(text) if text.startswith("WEBVTT") else _parse_srt(text)
    if not cues:
        raise _bad("it holds no timed text")
    return cues


def _parse_vtt(text: str) -> list[Cue]:
    try:
        captions = webvtt.from_buffer(io.StringIO(text))
    except Exception as exc:  # webvtt-py raises its own and plain errors alike
        raise _bad(f"WebVTT error ({exc})") from None
    cues = []
    for caption in captions.captions:
        markup, plain, speaker = cue_text(caption.raw_text, references=True)
        cues.append(
            Cue(
                caption.start_time.in_milliseconds() / 1000,
                caption.end_time.in_milliseconds() / 1000,
                plain,
                speaker,
                markup,
            )
        )
    return cues


def _parse_srt(text: str) -> list[Cue]:
    try:
        subtitles = list(srt.parse(text, ignore_errors=False))
    except (srt.SRTParseError, ValueError) as exc:
        raise _bad(f"SRT error ({str(exc).splitlines()[0][:120]})") from None
    cues = []
    for subtitle in subtitles:
        markup, plain, speaker = cue_text(subtitle.content, references=False)
        start, end = subtitle.start.total_seconds(), subtitle.end.total_seconds()
        cues.append(Cue(start, end, plain, speaker, markup))
    return cues


def _timestamp(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def to_vtt(cues: list[Cue]) -> str:
    """The cues written as WebVTT, speakers as <v> voice tags, & and < escaped."""
    blocks = ["WEBVTT"]
    for cue in cues:
        text = cue.markup
        if text is None:
            text = _escape(cue.text)
            if cue.speaker:
                text = f"<v {_escape(cue.speaker)}>{text}"
        # "-->" would end the cue's timing line; a blank line would end the cue.
        text = re.sub(r"\n\s*\n", "\n", text.replace("-->", "→")) or " "
        blocks.append(f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}\n{text}")
    return "\n\n".join(blocks) + "\n"
