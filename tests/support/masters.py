"""Masters synthesized for tests: speech-like bursts written as WAV or AIFF by hand (any bit
depth, rate and channel count), and headers that lie."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def speechlike(
    seconds: float, rate: int = 48000, channels: int = 2, *, level_db: float = -20.0, seed: int = 1
) -> np.ndarray:
    """(channels, n) float32: band-limited noise in syllable-like bursts at about `level_db` RMS."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    noise = rng.standard_normal(n)
    # a crude low-pass (speech sits low) by a running mean over ~0.25 ms
    width = max(1, rate // 4000)
    kernel = np.ones(width) / width
    voiced = np.convolve(noise, kernel, mode="same") + 0.3 * np.sin(2 * np.pi * 180 * t)
    envelope = np.clip(np.sin(2 * np.pi * 3.1 * t) + 0.3, 0, None) * (
        0.6 + 0.4 * np.sin(2 * np.pi * 0.21 * t)
    )
    mono = voiced * envelope
    mono *= 10 ** (level_db / 20) / max(np.sqrt(np.mean(mono**2)), 1e-9)
    out = np.stack([mono * (1.0 - 0.1 * c) for c in range(channels)]).astype(np.float32)
    return out


def _pcm_bytes(
    samples: np.ndarray, bits: int, *, big_endian: bool = False, floating: bool = False
) -> bytes:
    inter = np.clip(samples.T.reshape(-1), -1.0, 1.0)
    order = ">" if big_endian else "<"
    if floating:
        return inter.astype(f"{order}f{bits // 8}").tobytes()
    if bits == 8:
        return (np.round(inter * 127) + 128).astype(np.uint8).tobytes()
    scale = 2 ** (bits - 1) - 1
    ints = np.round(inter * scale).astype(np.int64)
    if bits == 24:
        b = ((ints & 0xFFFFFF).astype("<u4")).view(np.uint8).reshape(-1, 4)[:, :3]
        return (b[:, ::-1] if big_endian else b).tobytes()
    return ints.astype(f"{order}i{bits // 8}").tobytes()


def write_wav(
    path: Path,
    samples: np.ndarray,
    rate: int,
    *,
    bits: int = 16,
    floating: bool = False,
    declared_data: int | None = None,
) -> Path:
    """A RIFF WAVE file; `declared_data` writes a data size that lies."""
    channels = samples.shape[0]
    data = _pcm_bytes(samples, bits, floating=floating)
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 3 if floating else 1, channels, rate, rate * block, block, bits)
    size = len(data) if declared_data is None else declared_data
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", size & 0xFFFFFFFF)
        + data
    )
    path.write_bytes(b"RIFF" + struct.pack("<I", min(len(body), 0xFFFFFFFF)) + body)
    return path


def _extended(value: float) -> bytes:
    exponent = int(np.floor(np.log2(value)))
    mantissa = int(value / 2.0 ** (exponent - 63))
    return struct.pack(">HQ", exponent + 16383, mantissa)


def write_aiff(
    path: Path, samples: np.ndarray, rate: int, *, bits: int = 16, keep_bytes: int | None = None
) -> Path:
    """A big-endian AIFF file; `keep_bytes` cuts the file there (a truncated upload)."""
    channels, frames = samples.shape
    data = _pcm_bytes(samples, bits, big_endian=True)
    comm = struct.pack(">hIh", channels, frames, bits) + _extended(float(rate))
    ssnd = struct.pack(">II", 0, 0) + data
    body = (
        b"AIFF"
        + b"COMM"
        + struct.pack(">I", len(comm))
        + comm
        + b"SSND"
        + struct.pack(">I", len(ssnd))
        + ssnd
    )
    raw = b"FORM" + struct.pack(">I", len(body)) + body
    path.write_bytes(raw if keep_bytes is None else raw[:keep_bytes])
    return path
