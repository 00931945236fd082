"""Transcripts: SRT or WebVTT in, cues out, stored as WebVTT."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import srt
import webvtt

from podcast.errors import ValidationError
from podcast.services.markup import xml_safe

_VOICE = re.compile(r"^<v(?:\.[^ >]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[^>]+>")


@dataclass(frozen=True)
class Cue:
    """One timed line of a transcript."""

    start: float
    end: float
    text: str
    speaker: str | None = None


def _bad(reason: str) -> ValidationError:
    message = f"The transcript could not be read: {reason}. Upload an SRT or WebVTT (.vtt) file."
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
    for caption in captions:
        raw = caption.raw_text
        voice = _VOICE.match(raw)
        cues.append(
            Cue(
                caption.start_time.in_milliseconds() / 1000,
                caption.end_time.in_milliseconds() / 1000,
                _TAG.sub("", raw).strip(),
                voice.group(1).strip() if voice else None,
            )
        )
    return cues


def _parse_srt(text: str) -> list[Cue]:
    try:
        subtitles = list(srt.parse(text, ignore_errors=False))
    except (srt.SRTParseError, ValueError) as exc:
        raise _bad(f"SRT error ({str(exc).splitlines()[0][:120]})") from None
    return [
        Cue(s.start.total_seconds(), s.end.total_seconds(), _TAG.sub("", s.content).strip())
        for s in subtitles
    ]


def _timestamp(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def to_vtt(cues: list[Cue]) -> str:
    """The cues written as WebVTT, speakers as <v> voice tags."""
    blocks = ["WEBVTT"]
    for cue in cues:
        text = cue.text.replace("-->", "→")
        if cue.speaker:
            text = f"<v {cue.speaker}>{text}"
        blocks.append(f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}\n{text}")
    return "\n\n".join(blocks) + "\n"
