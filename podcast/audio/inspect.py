"""Inspect an uploaded audio file: identify it by content and read its real duration."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

import mutagen
import mutagen.aiff
import mutagen.flac
import mutagen.id3
import mutagen.mp4
import mutagen.oggopus
import mutagen.oggvorbis
import mutagen.wave

from podcast.audio import mp4 as mp4_boxes
from podcast.audio import mpeg
from podcast.audio.sniff import UPLOAD_INSTEAD, describe_unknown, not_audio, sniff
from podcast.errors import AudioError, TruncatedAudioError
from podcast.wording import say, sentences

_CUT_OFF = say("The upload was probably cut off; export or upload it again.")
EPISODE_FORMATS_MESSAGE = say(
    "Apple Podcasts and most apps take MP3 or AAC (M4A) only: "
    "export the episode as MP3 or M4A and upload that."
)
# A header's frame count may exceed the frames we count by this much before we call the file
# truncated: muxers that patch the header after encoding can be off by one, and a dropped
# partial last frame is another; a cut-off upload misses far more (about 26 ms per frame).
TRUNCATION_SLACK_FRAMES = 2
MAX_TAG_BYTES = 64 << 20  # ID3 tags larger than this are not parsed for chapters and artwork

_MIME = {
    "mp3": ("audio/mpeg", "mp3"),
    "m4a": ("audio/x-m4a", "m4a"),
    "ogg_vorbis": ("audio/ogg", "ogg"),
    "ogg_opus": ("audio/ogg", "opus"),
    "flac": ("audio/flac", "flac"),
    "wav": ("audio/wav", "wav"),
    "aiff": ("audio/aiff", "aiff"),
}
_FORMAT_NAMES = {
    "mp3": "MP3",
    "m4a": "AAC (M4A)",
    "ogg_vorbis": "Ogg Vorbis",
    "ogg_opus": "Opus",
    "flac": "FLAC",
    "wav": "WAV",
    "aiff": "AIFF",
}


@dataclass(frozen=True)
class Chapter:
    """A chapter mark: start (and optional end) in seconds, and its title."""

    start: float
    title: str
    end: float | None = None


@dataclass(frozen=True)
class AudioInfo:
    """What `inspect` learned about an audio file."""

    format: str
    mime_type: str
    extension: str
    duration_seconds: float
    size_bytes: int
    bitrate: int | None
    sample_rate: int | None
    channels: int | None
    chapters: tuple[Chapter, ...] = ()
    cover_art: bytes | None = field(default=None, repr=False)
    cover_art_mime: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def is_episode_format(self) -> bool:
        """True for the formats Apple Podcasts takes (MP3 and AAC in M4A)."""
        return self.format in ("mp3", "m4a")

    def to_json(self) -> dict[str, Any]:
        """The API's view of this file (no cover bytes)."""
        return {
            "ok": True,
            "format": self.format,
            "duration_seconds": round(self.duration_seconds, 3),
            "mime_type": self.mime_type,
            "size_bytes": self.size_bytes,
            "bitrate": self.bitrate,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "chapters": [{"start": c.start, "title": c.title} for c in self.chapters],
            "warnings": list(self.warnings),
        }


def likely_episode_format(head: bytes) -> tuple[str, str] | None:
    """(extension, MIME type) that a file starting with `head` will most likely have if it is
    an episode file (MP3 or M4A), else None. A guess from the first bytes; inspect decides."""
    try:
        kind = sniff(head)
    except AudioError:
        return None
    sync = head.find(b"\xff")
    if kind == "mpeg" and (sync < 0 or mpeg.parse_header(head, sync) is None):
        return None  # sniff's "anything else": not even a frame header where the bytes start
    fmt = {"id3": "mp3", "mpeg": "mp3", "mp4": "m4a"}.get(kind)
    if fmt is None:
        return None
    mime, ext = _MIME[fmt]
    return ext, mime


def require_episode_format(info: AudioInfo) -> None:
    """Refuse audio that podcast apps will not play as an episode."""
    if not info.is_episode_format:
        name = _FORMAT_NAMES.get(info.format, info.format)
        raise AudioError(
            sentences(say("This file is %(name)s audio.", name=name), EPISODE_FORMATS_MESSAGE)
        )


def inspect(path: str | os.PathLike[str]) -> AudioInfo:
    """Identify the audio in `path` by its content and measure it; raise AudioError if unusable."""
    size = os.path.getsize(path)
    if size == 0:
        raise AudioError(sentences(say("This file is empty (0 bytes)."), UPLOAD_INSTEAD))
    with open(path, "rb") as f:
        head = f.read(4096)
        kind = sniff(head)
        if kind == "id3":
            after = mpeg.skip_id3v2(f)
            f.seek(after)
            rest = f.read(4096)
            if after >= size or not rest.strip(b"\0"):
                raise AudioError(
                    sentences(
                        say(
                            "This file holds only an MP3 tag (title, artist, artwork) and no audio."
                        ),
                        UPLOAD_INSTEAD,
                    )
                )
            kind = "flac" if rest.startswith(b"fLaC") else "mpeg"
        if kind == "mpeg":
            return _inspect_mp3(f, path, size)
        if kind == "mp4":
            return _inspect_mp4(f, path, size)
    return _inspect_other(kind, path, size)


# ---------------------------------------------------------------- MP3


def _inspect_mp3(f: BinaryIO, path: str | os.PathLike[str], size: int) -> AudioInfo:
    tag_end = mpeg.skip_id3v2(f)
    end, _tags = mpeg.trailing_tags(f, size)
    found = mpeg.find_first_frame(f, tag_end, end) if end > tag_end else None
    if found is None:
        f.seek(tag_end)
        head = f.read(4096)
        if tag_end > 0:
            raise AudioError(
                sentences(
                    say(
                        "This file holds an MP3 tag (title, artist, artwork)"
                        " but no MP3 audio after it."
                    ),
                    UPLOAD_INSTEAD,
                )
            )
        raise describe_unknown(head)
    pos, first = found
    if first.layer != 3:
        layer = "MP2" if first.layer == 2 else "MP1"
        raise AudioError(
            sentences(
                say(
                    "This is MPEG layer %(layer)s audio (%(name)s), which podcast apps don't take.",
                    layer=first.layer,
                    name=layer,
                ),
                UPLOAD_INSTEAD,
            )
        )
    warnings: list[str] = []
    if pos > tag_end:
        warnings.append(
            say(
                "Skipped %(count)s bytes of non-audio data before the first frame.",
                count=pos - tag_end,
            )
        )
    f.seek(pos)
    first_frame = f.read(first.length)
    vbr = mpeg.parse_vbr_header(first_frame, first)
    actual = end - pos  # Xing/Info byte counts include their own frame
    audio_start = pos + first.length if vbr else pos
    # Always count: the scan is cheap (bench/audio_inspect.py) and a header that states the
    # file's byte count may still lie about its frames (a 13 s file claiming 1,000 hours).
    scan = mpeg.count_frames(f, audio_start, end, first_frame[:4])
    frames, audio_bytes = scan.frames, scan.audio_bytes
    promised = vbr.frames if vbr is not None else None
    bytes_agree = (
        vbr is not None and vbr.bytes is not None and abs(vbr.bytes - actual) <= 2 * first.length
    )
    if (
        vbr is not None
        and promised is not None
        and promised > frames + TRUNCATION_SLACK_FRAMES
        and not bytes_agree
    ):
        had = max(frames * first.samples - vbr.encoder_delay, 0) / first.sample_rate
        want = (promised * first.samples - vbr.encoder_delay - vbr.encoder_padding) / (
            first.sample_rate
        )
        raise TruncatedAudioError(
            sentences(
                say(
                    "This MP3 is truncated: its header promises %(want)s s but the file holds "
                    "%(had)s s.",
                    want=f"{want:.1f}",
                    had=f"{had:.1f}",
                ),
                _CUT_OFF,
            )
        )
    if vbr is not None and vbr.bytes is not None and vbr.bytes > actual + 8 * first.length:
        raise TruncatedAudioError(
            sentences(
                say(
                    "This MP3 is truncated: its header promises %(want)s bytes of audio but the "
                    "file holds %(had)s.",
                    want=f"{vbr.bytes:,}",
                    had=f"{actual:,}",
                ),
                _CUT_OFF,
            )
        )
    if promised is not None and abs(promised - frames) > TRUNCATION_SLACK_FRAMES:
        warnings.append(
            say(
                "The MP3's header says %(promised)s frames but the file holds %(frames)s; "
                "the duration was measured by counting frames.",
                promised=promised,
                frames=frames,
            )
        )
    if scan.partial_bytes:
        warnings.append(say("The last MP3 frame is cut short; the file may have been cut off."))
    if scan.skipped_bytes:
        warnings.append(
            say(
                "Skipped %(count)s bytes of damaged or non-audio data between frames.",
                count=scan.skipped_bytes,
            )
        )
    if frames <= 0:
        raise TruncatedAudioError(
            sentences(say("This MP3 holds no complete audio frame."), _CUT_OFF)
        )
    samples = frames * first.samples
    raw_seconds = samples / first.sample_rate
    if vbr is not None and vbr.encoder_delay + vbr.encoder_padding < samples:
        samples -= vbr.encoder_delay + vbr.encoder_padding
    duration = samples / first.sample_rate
    chapters, cover, cover_mime = _id3_extras(path, tag_end, warnings)
    return _info(
        "mp3",
        duration,
        size,
        bitrate=round(audio_bytes * 8 / raw_seconds),
        sample_rate=first.sample_rate,
        channels=first.channels,
        chapters=chapters,
        cover=cover,
        cover_mime=cover_mime,
        warnings=warnings,
    )


def _id3_extras(
    path: str | os.PathLike[str], tag_end: int, warnings: list[str]
) -> tuple[tuple[Chapter, ...], bytes | None, str | None]:
    """Chapters (CHAP) and front cover (APIC) from the ID3v2 tag, if any."""
    if tag_end == 0:
        return (), None, None
    if tag_end > MAX_TAG_BYTES:
        warnings.append(say("The MP3's tag is too large to read chapters and artwork from."))
        return (), None, None
    try:
        tags = mutagen.id3.ID3(path)
    except mutagen.MutagenError:
        warnings.append(say("The MP3's ID3 tag is damaged; chapters and artwork were not read."))
        return (), None, None
    chapters = []
    for chap in tags.getall("CHAP"):
        title_frame = chap.sub_frames.get("TIT2")
        title = str(title_frame.text[0]) if title_frame and title_frame.text else chap.element_id
        end = chap.end_time / 1000 if chap.end_time not in (None, 0xFFFFFFFF) else None
        chapters.append(Chapter(start=chap.start_time / 1000, title=title, end=end))
    chapters.sort(key=lambda c: c.start)
    pictures = tags.getall("APIC")
    front = [p for p in pictures if p.type == 3] or pictures
    if not front:
        return tuple(chapters), None, None
    data = bytes(front[0].data)
    return tuple(chapters), data, _image_mime(data, front[0].mime)


def _image_mime(data: bytes, declared: str | None) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG"):
        return "image/png"
    return declared or None


def _info(
    fmt: str,
    duration: float,
    size: int,
    *,
    bitrate: int | None,
    sample_rate: int | None,
    channels: int | None,
    chapters: tuple[Chapter, ...] = (),
    cover: bytes | None = None,
    cover_mime: str | None = None,
    warnings: list[str] | None = None,
) -> AudioInfo:
    mime, ext = _MIME[fmt]
    if duration <= 0:
        raise AudioError(
            sentences(
                say("This %(name)s file holds no audio.", name=_FORMAT_NAMES[fmt]), UPLOAD_INSTEAD
            )
        )
    return AudioInfo(
        format=fmt,
        mime_type=mime,
        extension=ext,
        duration_seconds=duration,
        size_bytes=size,
        bitrate=bitrate,
        sample_rate=sample_rate,
        channels=channels,
        chapters=chapters,
        cover_art=cover,
        cover_art_mime=cover_mime if cover else None,
        warnings=tuple(warnings or ()),
    )


# ---------------------------------------------------------------- M4A and the rest


def _inspect_mp4(f: BinaryIO, path: str | os.PathLike[str], size: int) -> AudioInfo:
    layout = mp4_boxes.mp4_layout(f, size)
    tracks = layout.tracks or []
    if layout.cut_box is not None:
        part = {"mdat": say("its audio data"), "moov": say("its index (moov box)")}.get(
            layout.cut_box, say("its '%(box)s' box", box=layout.cut_box)
        )
        raise TruncatedAudioError(
            sentences(
                say("This M4A is truncated: the file stops part-way through %(part)s.", part=part),
                _CUT_OFF,
            )
        )
    if not layout.has_moov:
        raise TruncatedAudioError(
            sentences(
                say("This M4A is incomplete: it has no index (moov box), so it can't be played."),
                _CUT_OFF,
            )
        )
    handlers = {t.handler for t in tracks}
    if "vide" in handlers:
        raise AudioError(
            sentences(say("This is a video (MP4), not an audio file."), UPLOAD_INSTEAD)
        )
    sound = next((t for t in tracks if t.handler == "soun"), None)
    if sound is None:
        raise not_audio(say("an MP4 file with no sound track"))
    declared = sum(t.sample_bytes for t in tracks)
    seconds = _mp4_seconds(layout, sound)
    if declared > layout.mdat_bytes or max(t.last_chunk_offset for t in tracks) >= size:
        held = seconds * layout.mdat_bytes / declared if declared else 0.0
        raise TruncatedAudioError(
            sentences(
                say(
                    "This M4A is truncated: its index promises %(want)s s but the file holds about "
                    "%(had)s s.",
                    want=f"{seconds:.1f}",
                    had=f"{held:.1f}",
                ),
                _CUT_OFF,
            )
        )
    try:
        mp4 = mutagen.mp4.MP4(path)
    except mutagen.MutagenError as exc:
        raise AudioError(
            sentences(
                say("This M4A file is damaged and can't be read (%(reason)s).", reason=str(exc)),
                UPLOAD_INSTEAD,
            )
        ) from exc
    # mutagen declares FileType.info and .tags as None; on an MP4 they are these.
    info = cast(mutagen.mp4.MP4Info, mp4.info)
    tags = cast("mutagen.mp4.MP4Tags | None", mp4.tags)
    codec = info.codec or ""
    if not codec.startswith("mp4a"):
        raise AudioError(
            say(
                "This M4A holds %(codec)s audio, not AAC; "
                "export it as AAC (M4A) or MP3 and upload that.",
                codec=info.codec_description or codec,
            )
        )
    seconds = seconds or info.length
    chapters = tuple(
        Chapter(start=c.start, title=c.title or f"Chapter {i + 1}")
        for i, c in enumerate(mp4.chapters or ())
    )
    cover = cover_mime = None
    covers = (tags.get("covr") if tags is not None else None) or []
    if covers:
        cover = bytes(covers[0])
        declared_mime = "image/png" if covers[0].imageformat == 14 else "image/jpeg"
        cover_mime = _image_mime(cover, declared_mime)
    return _info(
        "m4a",
        seconds,
        size,
        bitrate=info.bitrate or round(sound.sample_bytes * 8 / seconds),
        sample_rate=info.sample_rate or None,
        channels=info.channels or None,
        chapters=chapters,
        cover=cover,
        cover_mime=cover_mime,
    )


def _mp4_seconds(layout: mp4_boxes.Mp4Layout, sound: mp4_boxes.Mp4Track) -> float:
    """The sound track's played duration: its edit list (which drops AAC priming) or its length."""
    if sound.edit_duration and layout.movie_timescale:
        return sound.edit_duration / layout.movie_timescale
    return sound.duration / sound.timescale if sound.timescale else 0.0


_READERS: dict[str, Any] = {
    "flac": mutagen.flac.FLAC,
    "ogg_opus": mutagen.oggopus.OggOpus,
    "ogg_vorbis": mutagen.oggvorbis.OggVorbis,
    "wav": mutagen.wave.WAVE,
    "aiff": mutagen.aiff.AIFF,
}


def _inspect_other(kind: str, path: str | os.PathLike[str], size: int) -> AudioInfo:
    name = _FORMAT_NAMES[kind]
    try:
        audio = _READERS[kind](path)
    except mutagen.MutagenError as exc:
        raise AudioError(
            sentences(
                say("This %(name)s file is damaged and can't be read.", name=name), UPLOAD_INSTEAD
            )
        ) from exc
    info = audio.info
    sample_rate = 48000 if kind == "ogg_opus" else getattr(info, "sample_rate", None)
    cover = cover_mime = None
    if kind == "flac" and audio.pictures:
        pic = next((p for p in audio.pictures if p.type == 3), audio.pictures[0])
        cover, cover_mime = bytes(pic.data), _image_mime(bytes(pic.data), pic.mime)
    bitrate = getattr(info, "bitrate", None) or (
        round(size * 8 / info.length) if info.length else None
    )
    return _info(
        kind,
        float(info.length),
        size,
        bitrate=bitrate,
        sample_rate=sample_rate or None,
        channels=getattr(info, "channels", None) or None,
        cover=cover,
        cover_mime=cover_mime,
    )
