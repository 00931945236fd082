"""WAV and AIFF masters: their headers read by hand (what the header promises against what the
file holds) and their PCM samples streamed as float32 chunks, never the whole file in memory."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from podcast.errors import AudioError, TruncatedAudioError
from podcast.wording import say, sentences

# Sizes recorders write before they know the length (and never patch when stopped short).
_PLACEHOLDER_SIZES = frozenset({0, 0xFFFFFFFF, 0x7FFFFFFF})
_WAVE_PCM, _WAVE_FLOAT, _WAVE_EXTENSIBLE = 1, 3, 0xFFFE
_AIFC_CODECS = {  # compression type -> (numpy kind, byte order)
    b"NONE": ("i", ">"),
    b"twos": ("i", ">"),
    b"sowt": ("i", "<"),
    b"fl32": ("f", ">"),
    b"FL32": ("f", ">"),
    b"fl64": ("f", ">"),
    b"FL64": ("f", ">"),
}
CHUNK_FRAMES = 1 << 16
_EXPORT_AGAIN = say("Export the master again and upload that.")


@dataclass(frozen=True)
class PcmLayout:
    """Where a WAV or AIFF file's samples are and how they are coded."""

    format: str  # wav | aiff
    kind: str  # i (integer) | u (unsigned 8-bit) | f (float)
    bits: int
    big_endian: bool
    channels: int
    sample_rate: int
    data_offset: int
    frames: int  # what the file holds (whole frames)
    declared_frames: int | None  # what the header says (None: a placeholder)
    warnings: tuple[str, ...] = ()

    @property
    def duration_seconds(self) -> float:
        """The length of the audio the file holds."""
        return self.frames / self.sample_rate if self.sample_rate else 0.0

    @property
    def block_align(self) -> int:
        """Bytes per frame (all channels)."""
        return self.channels * self.bits // 8


def _clock(seconds: float) -> str:
    minutes, rest = divmod(max(seconds, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{rest:04.1f}" if hours else f"{minutes}:{rest:04.1f}"


def _damaged(name: str, why: str) -> AudioError:
    return AudioError(
        sentences(
            say("This %(name)s file is damaged (%(why)s).", name=name, why=why), _EXPORT_AGAIN
        )
    )


def _chunks(f: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, bytes, int]]:
    """(id, size as written, offset of its data) of each RIFF chunk from start to end of file."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            return
        yield header[:4], header[4:8], pos + 8
        size = struct.unpack("<I", header[4:8])[0]
        pos += 8 + size + (size & 1)


def _chunk_follows(f: BinaryIO, pos: int, size: int) -> bool:
    """True when a chunk (four ASCII letters and a size that fits) starts at pos, or nothing
    is left: the data chunk's size is then the truth. Else audio goes on past what it says."""
    if pos + 8 > size:
        return True
    f.seek(pos)
    header = f.read(8)
    chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:8])[0]
    return all(32 <= b < 127 for b in chunk_id) and pos + 8 + chunk_size <= size


def _settle_length(
    name: str, declared_bytes: int, available: int, block: int, rate: int, last_chunk: bool
) -> tuple[int, int | None, list[str]]:
    """Frames to read, the header's frame count, and sentences, from what the header promises
    against the bytes after the data's start (to the end of the file); `last_chunk`: no chunk
    follows the declared data, so what follows it is more audio."""
    warnings: list[str] = []
    held = available // block
    if declared_bytes in _PLACEHOLDER_SIZES or declared_bytes >= 0xFFFFF000:
        warnings.append(
            say(
                "The %(name)s header does not give the audio's length (a recording that was "
                "stopped short?); the %(held)s the file holds were used.",
                name=name,
                held=_clock(held / rate),
            )
        )
        return held, None, warnings
    declared = declared_bytes // block
    if declared > held:
        raise TruncatedAudioError(
            sentences(
                say(
                    "This %(name)s file is truncated: its header promises %(want)s but the file "
                    "holds %(had)s.",
                    name=name,
                    want=_clock(declared / rate),
                    had=_clock(held / rate),
                ),
                say("The upload was probably cut off; export or upload it again."),
            )
        )
    if last_chunk and held > declared:
        warnings.append(
            say(
                "The %(name)s header says %(want)s but the file holds %(had)s of audio; all of "
                "it was used.",
                name=name,
                want=_clock(declared / rate),
                had=_clock(held / rate),
            )
        )
        return held, declared, warnings
    return declared, declared, warnings


def read_wav_layout(path: str | os.PathLike[str]) -> PcmLayout:
    """The layout of a RIFF WAVE file; AudioError (or TruncatedAudioError) with a sentence."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise _damaged("WAV", say("it does not start as a WAV file does"))
        fmt: tuple[int, int, int, int] | None = None
        for chunk_id, raw_size, offset in _chunks(f, 12, size):
            chunk_size = struct.unpack("<I", raw_size)[0]
            if chunk_id == b"fmt ":
                f.seek(offset)
                body = f.read(min(chunk_size, 40))
                if len(body) < 16:
                    raise _damaged("WAV", say("its format chunk is cut short"))
                tag, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", body[:16])
                if tag == _WAVE_EXTENSIBLE and len(body) >= 26:
                    tag = struct.unpack("<H", body[24:26])[0]
                fmt = (tag, channels, rate, bits)
            elif chunk_id == b"data":
                if fmt is None:
                    raise _damaged("WAV", say("its audio comes before its format chunk"))
                tag, channels, rate, bits = fmt
                kind = _wave_kind(tag, bits)
                _check_numbers("WAV", channels, rate, bits)
                block = channels * bits // 8
                frames, declared, warnings = _settle_length(
                    "WAV", chunk_size, size - offset, block, rate, not _chunk_follows(
                        f, offset + chunk_size + (chunk_size & 1), size
                    ),
                )  # fmt: skip
                return PcmLayout(
                    "wav", kind, bits, False, channels, rate, offset, frames, declared,
                    tuple(warnings),
                )  # fmt: skip
    raise _damaged("WAV", say("it holds no audio data chunk"))


def _wave_kind(tag: int, bits: int) -> str:
    if tag == _WAVE_PCM and bits in (16, 24, 32):
        return "i"
    if tag == _WAVE_PCM and bits == 8:
        return "u"
    if tag == _WAVE_FLOAT and bits in (32, 64):
        return "f"
    raise AudioError(
        sentences(
            say(
                "This WAV file is coded in a way we don't read (format %(tag)s, %(bits)s bits).",
                tag=tag,
                bits=bits,
            ),
            say("Export it as 16- or 24-bit PCM or 32-bit float WAV, or as FLAC."),
        )
    )


def _check_numbers(name: str, channels: int, rate: int, bits: int) -> None:
    if channels < 1 or rate < 1 or bits < 8 or bits % 8:
        raise _damaged(name, say("its header gives impossible numbers"))


def _extended(raw: bytes) -> float:
    """An IEEE 754 80-bit extended float (AIFF's sample rate)."""
    exponent, mantissa = struct.unpack(">HQ", raw)
    sign = -1 if exponent & 0x8000 else 1
    exponent &= 0x7FFF
    if exponent == 0 and mantissa == 0:
        return 0.0
    return float(sign * mantissa * 2.0 ** (exponent - 16383 - 63))


def read_aiff_layout(path: str | os.PathLike[str]) -> PcmLayout:
    """The layout of an AIFF or AIFF-C file; AudioError (or TruncatedAudioError) with a sentence."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] != b"FORM" or head[8:12] not in (b"AIFF", b"AIFC"):
            raise _damaged("AIFF", say("it does not start as an AIFF file does"))
        comm: tuple[int, int, int, float, bytes] | None = None
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            chunk_id, chunk_size = struct.unpack(">4sI", f.read(8))
            offset = pos + 8
            if chunk_id == b"COMM":
                body = f.read(min(chunk_size, 64))
                if len(body) < 18:
                    raise _damaged("AIFF", say("its format chunk is cut short"))
                channels, frames, bits = struct.unpack(">hIh", body[:8])
                codec = body[18:22] if head[8:12] == b"AIFC" and len(body) >= 22 else b"NONE"
                comm = (channels, frames, bits, _extended(body[8:18]), codec)
            elif chunk_id == b"SSND":
                if comm is None:
                    raise _damaged("AIFF", say("its audio comes before its format chunk"))
                channels, frames, bits, rate_f, codec = comm
                data_offset = offset + 8 + struct.unpack(">I", f.read(8)[:4])[0]
                return _aiff_layout(size, data_offset, comm, int(round(rate_f)))
            pos = offset + chunk_size + (chunk_size & 1)
    raise _damaged("AIFF", say("it holds no sound data chunk"))


def _aiff_layout(
    size: int, data_offset: int, comm: tuple[int, int, int, float, bytes], rate: int
) -> PcmLayout:
    channels, frames, bits, _rate, codec = comm
    found = _AIFC_CODECS.get(codec)
    if found is None:
        raise AudioError(
            sentences(
                say("This AIFF-C file is compressed (%(codec)s), which we don't read.",
                    codec=codec.decode("latin-1").strip()),
                say("Export it as uncompressed AIFF or WAV, or as FLAC."),
            )
        )  # fmt: skip
    kind, order = found
    if kind == "f" and codec in (b"fl64", b"FL64"):
        bits = 64
    elif kind == "f":
        bits = 32
    _check_numbers("AIFF", channels, rate, bits)
    block = channels * bits // 8
    held_frames, declared, warnings = _settle_length(
        "AIFF", frames * block, size - data_offset, block, rate, False
    )
    if bits == 8 and kind == "i":
        kind = "s8"
    return PcmLayout(
        "aiff", kind, bits, order == ">", channels, rate, data_offset, held_frames, declared,
        tuple(warnings),
    )  # fmt: skip


def _to_float(raw: bytes, layout: PcmLayout) -> np.ndarray:
    """Interleaved bytes to a (channels, frames) float32 array."""
    order = ">" if layout.big_endian else "<"
    if layout.bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        hi, lo = (0, 2) if layout.big_endian else (2, 0)
        ints = (b[:, hi] << 24) | (b[:, 1] << 16) | (b[:, lo] << 8)
        samples = ints.astype(np.float32) / np.float32(2**31)
    elif layout.kind == "f":
        samples = np.frombuffer(raw, dtype=f"{order}f{layout.bits // 8}").astype(np.float32)
    elif layout.kind == "u":
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128) / 128
    elif layout.kind == "s8":
        samples = np.frombuffer(raw, dtype=np.int8).astype(np.float32) / 128
    else:
        width = layout.bits // 8
        ints = np.frombuffer(raw, dtype=f"{order}i{width}")
        samples = ints.astype(np.float32) / np.float32(2 ** (layout.bits - 1))
    return np.ascontiguousarray(samples.reshape(-1, layout.channels).T)


def read_chunks(
    path: str | os.PathLike[str], layout: PcmLayout, frames: int = CHUNK_FRAMES
) -> Iterator[np.ndarray]:
    """The file's samples as float32 (channels, n) arrays of at most `frames` frames each."""
    block = layout.block_align
    left = layout.frames
    with open(path, "rb") as f:
        f.seek(layout.data_offset)
        while left > 0:
            raw = f.read(min(left, frames) * block)
            whole = len(raw) // block
            if whole == 0:
                return
            yield _to_float(raw[: whole * block], layout)
            left -= whole
