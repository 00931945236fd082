"""ID3v2.3 tags the service writes into every published MP3 (mutagen): title, show, author,
date, number, summary, link, cover art and chapters (CHAP frames under an ordered CTOC).

Only the tag at the head of the file is rewritten (and a trailing ID3v1 tag dropped): the
audio frames, and with them the Xing/LAME header and the duration, stay byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import mutagen
import mutagen.id3
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    TALB,
    TCON,
    TDRC,
    TIT2,
    TPE1,
    TPOS,
    TRCK,
    WXXX,
    CTOCFlags,
    Encoding,
    PictureType,
)

from podcast.errors import AudioError
from podcast.services.images import cover_jpeg
from podcast.wording import say

# UTF-16 with a BOM: the only Unicode encoding ID3v2.3 has (UTF-8 came with v2.4, which many
# players, Apple's among them, still do not read).
_TEXT = Encoding.UTF16
_NO_OFFSET = 0xFFFFFFFF  # CHAP byte offsets: not given (times are what players use)
TOC_ID = "toc"
# ISO 639-2 codes for the COMM frame's language, from the show's BCP 47 language.
_LANGUAGES = {"en": "eng", "ru": "rus", "kk": "kaz", "uz": "uzb", "tg": "tgk", "ky": "kir"}


@dataclass(frozen=True)
class TagChapter:
    """A chapter mark: start in seconds, title and an optional link."""

    start: float
    title: str
    url: str | None = None


@dataclass(frozen=True)
class TagInfo:
    """What the service writes into an MP3's tag."""

    title: str
    album: str = ""  # the show's title
    author: str = ""
    released: date | datetime | None = None
    number: int | None = None
    season: int | None = None
    summary: str = ""
    link: str = ""  # the episode's page
    language: str = "en"  # the show's language (BCP 47)
    cover: bytes | None = field(default=None, repr=False)  # JPEG or PNG, any size
    chapters: tuple[TagChapter, ...] = ()
    duration: float | None = None  # seconds: where the last chapter ends

    def fingerprint(self, cover_sha256: str | None = None) -> str:
        """SHA-256 of everything written: equal fingerprints write equal tags. The cover counts
        by its SHA-256 (given, or computed from `cover`)."""
        fields = asdict(self)
        fields.pop("cover")
        if cover_sha256 is None and self.cover is not None:
            cover_sha256 = hashlib.sha256(self.cover).hexdigest()
        fields["cover_sha256"] = cover_sha256
        fields["released"] = self.released.isoformat() if self.released else None
        text = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def _text(frame: type, value: str) -> Any:
    return frame(encoding=_TEXT, text=[value])


def _date(value: date | datetime) -> str:
    # TDRC becomes TYER and TDAT (and TIME) when mutagen saves as v2.3.
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    return value.isoformat()


def _ms(seconds: float) -> int:
    return max(0, min(int(round(seconds * 1000)), _NO_OFFSET - 1))


def _chapter_frames(info: TagInfo) -> list[Any]:
    """CHAP frames in time order (each ending where the next begins), then the CTOC."""
    chapters = sorted(
        (c for c in info.chapters if math.isfinite(c.start) and c.start >= 0),
        key=lambda c: c.start,
    )
    if not chapters:
        return []
    frames: list[Any] = []
    ids = []
    for index, chapter in enumerate(chapters):
        following = chapters[index + 1].start if index + 1 < len(chapters) else info.duration
        end = following if following is not None and following > chapter.start else chapter.start
        sub_frames = [_text(TIT2, chapter.title)]
        if chapter.url:
            sub_frames.append(WXXX(encoding=_TEXT, desc="", url=chapter.url))
        element_id = f"chp{index}"
        ids.append(element_id)
        frames.append(
            CHAP(
                element_id=element_id,
                start_time=_ms(chapter.start),
                end_time=_ms(end),
                start_offset=_NO_OFFSET,
                end_offset=_NO_OFFSET,
                sub_frames=sub_frames,
            )
        )
    frames.append(
        CTOC(
            element_id=TOC_ID,
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[_text(TIT2, info.title)],
        )
    )
    return frames


def build_tag(info: TagInfo) -> mutagen.id3.ID3:
    """The ID3 tag for `info` (not yet saved anywhere)."""
    tag = mutagen.id3.ID3()
    tag.add(_text(TIT2, info.title))
    if info.album:
        tag.add(_text(TALB, info.album))
    if info.author:
        tag.add(_text(TPE1, info.author))
    tag.add(_text(TCON, "Podcast"))
    if info.released is not None:
        tag.add(_text(TDRC, _date(info.released)))
    if info.number is not None:
        tag.add(_text(TRCK, str(info.number)))
    if info.season is not None:
        tag.add(_text(TPOS, str(info.season)))
    if info.summary:
        language = _LANGUAGES.get(info.language.split("-")[0].lower(), "XXX")
        tag.add(COMM(encoding=_TEXT, lang=language, desc="", text=[info.summary]))
    if info.link:
        tag.add(WXXX(encoding=_TEXT, desc="", url=info.link))
    if info.cover:
        tag.add(
            APIC(
                encoding=_TEXT,
                mime="image/jpeg",
                type=PictureType.COVER_FRONT,
                desc="",
                data=cover_jpeg(info.cover),
            )
        )
    for frame in _chapter_frames(info):
        tag.add(frame)
    return tag


def write_tags(path: str | Path, info: TagInfo) -> None:
    """Replace the MP3's tags by the service's (ID3v2.3, UTF-16 text); the audio frames are
    left as they are. An ID3v1 tag at the end goes too: nothing stale stays for players."""
    tag = build_tag(info)
    tag.update_to_v23()  # TDRC -> TYER, TDAT, TIME: v2.3 has no TDRC
    try:
        tag.save(str(path), v2_version=3, v1=0, padding=lambda _info: 0)
    except mutagen.MutagenError as exc:
        raise AudioError(say("The MP3's tags could not be written.")) from exc
