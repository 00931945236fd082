"""Synthesize MPEG layer III frame streams (headers plus silent payload) for tests and benches."""

from __future__ import annotations

import random
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

_VERSION_BITS = {"1": 3, "2": 2, "2.5": 0}
_RATES = {
    "1": (44100, 48000, 32000),
    "2": (22050, 24000, 16000),
    "2.5": (11025, 12000, 8000),
}
BITRATES = {
    "1": (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    "2": (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    "2.5": (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}


def samples_per_frame(version: str) -> int:
    """PCM samples per layer III frame."""
    return 1152 if version == "1" else 576


def frame_length(version: str, kbps: int, sample_rate: int, padding: int = 0) -> int:
    """Bytes in one layer III frame."""
    coef = 144 if version == "1" else 72
    return coef * kbps * 1000 // sample_rate + padding


def frame_header(
    version: str, kbps: int, sample_rate: int, padding: int = 0, channels: int = 2
) -> bytes:
    """The 4-byte header of a layer III frame without CRC."""
    b1 = 0xE0 | (_VERSION_BITS[version] << 3) | (1 << 1) | 1
    b2 = ((BITRATES[version].index(kbps) + 1) << 4) | (_RATES[version].index(sample_rate) << 2)
    b3 = 0xC0 if channels == 1 else 0x00
    return bytes((0xFF, b1, b2 | (padding << 1), b3))


def frame(version: str, kbps: int, sample_rate: int, padding: int = 0, channels: int = 2) -> bytes:
    """A whole frame: header plus zero payload."""
    length = frame_length(version, kbps, sample_rate, padding)
    return frame_header(version, kbps, sample_rate, padding, channels).ljust(length, b"\0")


def xing_frame(
    version: str,
    sample_rate: int,
    channels: int,
    frames: int,
    nbytes: int,
    *,
    tag: bytes = b"Xing",
    delay: int = 0,
    padding: int = 0,
) -> bytes:
    """A first frame holding a Xing/Info header with a LAME tag (counts may be made to lie)."""
    side = (17 if channels == 1 else 32) if version == "1" else (9 if channels == 1 else 17)
    body = tag + struct.pack(">III", 0x3, frames, nbytes)
    lame = (
        b"LAME3.100"
        + b"\0" * 12
        + bytes(((delay >> 4) & 0xFF, ((delay & 0xF) << 4) | (padding >> 8), padding & 0xFF))
    )
    need = 4 + side + len(body) + len(lame)
    kbps = next(k for k in BITRATES[version] if frame_length(version, k, sample_rate) >= need)
    head = frame_header(version, kbps, sample_rate, 0, channels) + b"\0" * side + body + lame
    return head.ljust(frame_length(version, kbps, sample_rate), b"\0")


def id3v2(picture_bytes: int = 0, title: str = "Synth") -> bytes:
    """An ID3v2.3 tag with a title and, if asked, a JPEG-looking APIC picture of that size."""

    def frame3(fid: bytes, data: bytes) -> bytes:
        return fid + struct.pack(">IH", len(data), 0) + data

    body = frame3(b"TIT2", b"\0" + title.encode("latin-1"))
    if picture_bytes:
        picture = (b"\xff\xd8\xff\xe0" + b"\0" * picture_bytes)[:picture_bytes]
        body += frame3(b"APIC", b"\0image/jpeg\0\x03\0" + picture)
    size = len(body)
    synchsafe = bytes((size >> 21 & 0x7F, size >> 14 & 0x7F, size >> 7 & 0x7F, size & 0x7F))
    return b"ID3\x03\x00\x00" + synchsafe + body


def apev2_tag() -> bytes:
    """An APEv2 tag (header, one item, footer) as written at the end of MP3s."""
    item = struct.pack("<II", 5, 0) + b"Title\0" + b"Synth"
    size = len(item) + 32

    def block(flags: int) -> bytes:
        return b"APETAGEX" + struct.pack("<IIII", 2000, size, 1, flags) + b"\0" * 8

    return block(0xA0000000) + item + block(0x80000000)


def id3v1_tag() -> bytes:
    """A 128-byte ID3v1 tag."""
    return (b"TAG" + b"Synth").ljust(128, b"\0")


def vbr_bitrates(
    version: str, count: int, seed: int = 1, low: int = 0, high: int = 14
) -> list[int]:
    """A reproducible sequence of varying bitrates (kbps) drawn from the version's table."""
    rng = random.Random(seed)
    table = BITRATES[version][low:high]
    return [rng.choice(table) for _ in range(count)]


def cbr_bitrates(kbps: int, count: int) -> Iterator[int]:
    """The same bitrate `count` times."""
    return (kbps for _ in range(count))


@dataclass(frozen=True)
class Synth:
    """What was written: audio frame count, their bytes, and the true duration."""

    frames: int
    audio_bytes: int
    seconds: float
    size: int


def write_mp3(
    path: str | Path,
    bitrates: Iterable[int],
    *,
    version: str = "1",
    sample_rate: int = 44100,
    channels: int = 2,
    xing: bool | tuple[int, int] = False,
    info_tag: bytes = b"Xing",
    picture_bytes: int | None = None,
    junk: bytes = b"",
    ape: bool = False,
    id3v1: bool = False,
    tail: bytes = b"",
) -> Synth:
    """Stream frames with these bitrates to `path`; `xing` may be (frames, bytes) to lie."""
    frame_cache: dict[tuple[int, int], bytes] = {}
    frames = audio = 0
    rest = 0  # padding accumulator, as encoders keep the average bitrate exact
    out: list[bytes] = []
    with open(path, "wb") as f:
        if picture_bytes is not None:
            f.write(id3v2(picture_bytes))
        f.write(junk)
        body_at = f.tell()
        xing_len = 0
        if xing:
            placeholder = xing_frame(version, sample_rate, channels, 0, 0, tag=info_tag)
            xing_len = len(placeholder)
            f.write(placeholder)
        for kbps in bitrates:
            coef = 144 if version == "1" else 72
            rest += coef * kbps * 1000 % sample_rate
            pad = 1 if rest >= sample_rate else 0
            rest -= pad * sample_rate
            data = frame_cache.get((kbps, pad))
            if data is None:
                data = frame_cache[(kbps, pad)] = frame(version, kbps, sample_rate, pad, channels)
            out.append(data)
            frames += 1
            audio += len(data)
            if len(out) >= 8192:
                f.write(b"".join(out))
                out.clear()
        f.write(b"".join(out))
        if ape:
            f.write(apev2_tag())
        if id3v1:
            f.write(id3v1_tag())
        f.write(tail)
        size = f.tell()
        if xing:
            promised = xing if isinstance(xing, tuple) else (frames, audio + xing_len)
            f.seek(body_at)
            f.write(xing_frame(version, sample_rate, channels, *promised, tag=info_tag))
    return Synth(frames, audio, frames * samples_per_frame(version) / sample_rate, size)


def write_cbr_minutes(path: str | Path, minutes: float, kbps: int = 128) -> Synth:
    """A CBR MPEG-1 layer III file (44.1 kHz, Xing header) lasting `minutes`."""
    frames = round(minutes * 60 * 44100 / 1152)
    return write_mp3(path, cbr_bitrates(kbps, frames), xing=True)
