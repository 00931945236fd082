"""Decoding, loudness (ITU-R BS.1770-4 / EBU R128) and MP3 encoding through PyAV, the only
module that imports it. Everything streams: chunks in, chunks out, files on disk.

Loudness is FFmpeg's `ebur128` filter (K-weighting, the -70 LUFS absolute and -10 LU relative
gates, loudness range, and true peak from 4x oversampling) run in an av.filter.Graph; levelling
is a linear gain, with FFmpeg's look-ahead `alimiter` only when that gain would push the peaks
past the limit, then a 44.1 kHz resample and libmp3lame (constant bitrate; the muxer writes the
Xing/LAME "Info" frame, with the encoder delay and padding, so players and our frame scan agree
on the duration).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av
import av.error
import av.filter
import numpy as np

from podcast.audio import pcm
from podcast.errors import AudioError
from podcast.wording import say, sentences

OUTPUT_RATE = 44100
MP3_FRAME = 1152
MIN_RATE, MAX_RATE = 8000, 192000
MAX_CHANNELS = 8
# The job's time limit and an MP3 a listener can still download: six hours at 128 kbps is
# 350 MB, and encoding it takes minutes; longer masters are refused (split them).
MAX_SECONDS = 6 * 3600
SILENCE_LUFS = -70.0  # ebur128's floor: nothing passed the absolute gate
_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}
_NAMES = {"wav": "WAV", "aiff": "AIFF", "flac": "FLAC", "mp3": "MP3", "m4a": "AAC (M4A)"}
ProgressFunction = Callable[[float], None]  # 0..1 of the pass


@dataclass(frozen=True)
class Probe:
    """What a file is: container, codec, length, rate, channels and bit depth."""

    format: str
    codec: str
    duration_seconds: float
    sample_rate: int
    channels: int
    bit_depth: int | None
    warnings: tuple[str, ...] = ()
    layout: pcm.PcmLayout | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Loudness:
    """Integrated loudness (None: silence), loudness range and true peak (None: digital zero)."""

    integrated_lufs: float | None
    range_lu: float
    true_peak_dbtp: float | None

    def to_json(self) -> dict[str, Any]:
        """The figures as the API gives them (one decimal)."""
        return {
            "integrated_lufs": _round(self.integrated_lufs),
            "true_peak_dbtp": _round(self.true_peak_dbtp),
            "range_lu": _round(self.range_lu),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class Measurement:
    """A measured file: its probe, its loudness and the length actually decoded."""

    probe: Probe
    loudness: Loudness
    frames: int
    sample_rate: int

    @property
    def duration_seconds(self) -> float:
        """The decoded length in seconds."""
        return self.frames / self.sample_rate


def _unreadable(name: str, exc: Exception | None = None) -> AudioError:
    reason = f" ({exc})" if exc is not None and str(exc) else ""
    return AudioError(
        sentences(
            say("This %(name)s file is damaged and can't be decoded%(reason)s.", name=name,
                reason=reason),
            say("Export the master again and upload that."),
        )
    )  # fmt: skip


def probe(path: str | os.PathLike[str], fmt: str) -> Probe:
    """Describe the audio in `path` (`fmt` from podcast.audio.inspect); AudioError if unusable."""
    if fmt in ("wav", "aiff"):
        layout = pcm.read_wav_layout(path) if fmt == "wav" else pcm.read_aiff_layout(path)
        found = Probe(
            fmt, f"pcm_{layout.kind}{layout.bits}", layout.duration_seconds, layout.sample_rate,
            layout.channels, layout.bits, layout.warnings, layout,
        )  # fmt: skip
    else:
        try:
            with av.open(os.fspath(path)) as container:
                if not container.streams.audio:
                    raise _unreadable(_NAMES.get(fmt, fmt))
                stream = container.streams.audio[0]
                ctx = stream.codec_context
                seconds = (
                    float(stream.duration * stream.time_base)
                    if stream.duration and stream.time_base
                    else (container.duration or 0) / av.time_base
                )
                found = Probe(
                    fmt, ctx.name, seconds, ctx.sample_rate, ctx.channels, _flac_bits(ctx.extradata)
                    if fmt == "flac" else None,
                )  # fmt: skip
        except av.error.FFmpegError as exc:
            raise _unreadable(_NAMES.get(fmt, fmt), exc) from exc
    check_limits(found)
    return found


def _flac_bits(streaminfo: bytes | None) -> int | None:
    """Bits per sample from FLAC's STREAMINFO (5 bits after the rate and channel count)."""
    if not streaminfo or len(streaminfo) < 14:
        return None
    return (((streaminfo[12] & 1) << 4) | (streaminfo[13] >> 4)) + 1


def check_limits(found: Probe) -> None:
    """Refuse what we will not process: no audio, too long, odd rates, too many channels."""
    name = _NAMES.get(found.format, found.format)
    if found.duration_seconds <= 0:
        raise AudioError(
            sentences(
                say("This %(name)s file holds no audio (0 seconds).", name=name),
                say("Export the master again and upload that."),
            )
        )
    if found.duration_seconds > MAX_SECONDS:
        raise AudioError(
            say(
                "This master is %(hours)s hours long; the limit is %(most)s hours, which keeps "
                "encoding within the job's time limit and the MP3 small enough to download. "
                "Split it into episodes.",
                hours=f"{found.duration_seconds / 3600:.1f}",
                most=MAX_SECONDS // 3600,
            )
        )
    if not MIN_RATE <= found.sample_rate <= MAX_RATE:
        raise AudioError(
            say(
                "This file's sample rate is %(rate)s Hz; masters from %(low)s to %(high)s Hz "
                "are taken (44.1 or 48 kHz is best).",
                rate=f"{found.sample_rate:,}",
                low=f"{MIN_RATE:,}",
                high=f"{MAX_RATE:,}",
            )
        )
    if not 1 <= found.channels <= MAX_CHANNELS:
        raise AudioError(
            say(
                "This file has %(count)s channels; at most %(most)s are taken (it is mixed down "
                "to the show's mono or stereo).",
                count=found.channels,
                most=MAX_CHANNELS,
            )
        )


def layout_name(channels: int) -> str:
    """FFmpeg's channel layout for this many channels."""
    return _LAYOUTS[channels]


def decode(
    path: str | os.PathLike[str], found: Probe, progress: ProgressFunction | None = None
) -> Iterator[np.ndarray]:
    """The audio as float32 (channels, n) chunks at its own rate, never all in memory."""
    total = max(found.duration_seconds * found.sample_rate, 1.0)
    done = 0
    for chunk in _decode(path, found):
        done += chunk.shape[1]
        if done > (MAX_SECONDS + 1) * found.sample_rate:
            check_limits(Probe(found.format, found.codec, done / found.sample_rate,
                               found.sample_rate, found.channels, found.bit_depth))  # fmt: skip
        if progress is not None:
            progress(min(done / total, 1.0))
        yield chunk


def _decode(path: str | os.PathLike[str], found: Probe) -> Iterator[np.ndarray]:
    if found.layout is not None:
        yield from pcm.read_chunks(path, found.layout)
        return
    name = _NAMES.get(found.format, found.format)
    try:
        with av.open(os.fspath(path)) as container:
            stream = container.streams.audio[0]
            if found.format == "flac":
                yield from _decode_flac(container, stream)
                return
            # Packed, not planar: PyAV 18 miscounts the planes of an 8-channel planar frame.
            resampler = av.AudioResampler(format="flt", layout=layout_name(found.channels))
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    yield np.ascontiguousarray(out.to_ndarray().reshape(-1, found.channels).T)
    except av.error.FFmpegError as exc:
        raise _unreadable(name, exc) from exc


def _decode_flac(container: Any, stream: Any) -> Iterator[np.ndarray]:
    """FLAC checked as `flac -t` does: the decoded samples' MD5 and count against STREAMINFO.
    FFmpeg's parser skips a frame whose CRC fails (a click or a gap, silently): this finds it."""
    info = bytes(stream.codec_context.extradata or b"")
    bits = _flac_bits(info) or 16
    total = (
        (((info[13] & 0x0F) << 32) | int.from_bytes(info[14:18], "big")) if len(info) >= 18 else 0
    )
    want_md5 = info[18:34] if len(info) >= 34 else b""
    digest = hashlib.md5(usedforsecurity=False)
    count = 0
    for frame in container.decode(stream):
        ints = frame.to_ndarray()
        channels = frame.layout.nb_channels
        inter = ints.T.reshape(-1) if frame.format.is_planar else ints.reshape(-1)
        if ints.dtype == np.int32 and bits <= 24:
            inter = inter >> (32 - bits)  # FFmpeg left-aligns 24-bit samples in 32
        digest.update(_md5_bytes(inter, bits))
        planar = inter.reshape(-1, channels).T
        count += planar.shape[1]
        yield (planar.astype(np.float32) / np.float32(2 ** (bits - 1))).astype(np.float32)
    damaged = (want_md5.strip(b"\0") and digest.digest() != want_md5) or (total and count != total)
    if damaged:
        raise AudioError(
            sentences(
                say("This FLAC file is damaged: its audio fails the file's own checksum (a "
                    "frame is corrupt or missing), so it would play with a click or a gap."),
                say("Export the master again and upload that."),
            )
        )  # fmt: skip


def _md5_bytes(samples: np.ndarray, bits: int) -> bytes:
    """Samples as FLAC's MD5 reads them: little-endian, in whole bytes of the bit depth."""
    width = (bits + 7) // 8
    if width == 3:
        return samples.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    return samples.astype(f"<i{width}").tobytes()


class _Chain:
    """A filter chain fed with numpy chunks: abuffer -> filters -> abuffersink."""

    def __init__(
        self, rate: int, channels: int, filters: list[tuple[str, str]], frame_size: int = 0
    ) -> None:
        self.graph = av.filter.Graph()
        self.layout = layout_name(channels)
        self.rate = rate
        self.channels = channels
        node = self.graph.add_abuffer(
            sample_rate=rate, format="flt", layout=self.layout, channels=channels
        )
        for name, args in filters:
            nxt = self.graph.add(name, args)
            node.link_to(nxt)
            node = nxt
        sink = self.graph.add("abuffersink")
        node.link_to(sink)
        self.graph.configure()
        if frame_size:
            self.graph.set_audio_frame_size(frame_size)
        self.pts = 0

    def push(self, chunk: np.ndarray | None) -> Iterator[av.AudioFrame]:
        """Feed a chunk (None: the end) and yield the frames that came out."""
        if chunk is None:
            self.graph.push(None)
        else:
            # Packed, not planar: PyAV 18 miscounts the planes of an 8-channel planar frame.
            packed = np.ascontiguousarray(chunk.T, dtype=np.float32).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(packed, format="flt", layout=self.layout)
            frame.sample_rate = self.rate
            frame.pts = self.pts
            self.pts += chunk.shape[1]
            self.graph.push(frame)
        while True:
            try:
                out = self.graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            assert isinstance(out, av.AudioFrame)
            yield out


class Meter:
    """EBU R128 measurement of chunks pushed one after another (`feed`, then `result`)."""

    def __init__(self, rate: int, channels: int) -> None:
        self._chain = _Chain(rate, channels, [("ebur128", "metadata=1:peak=true")])
        self._meta: dict[str, str] = {}
        self._peak = 0.0
        self.frames = 0

    def _take(self, frames: Iterable[av.AudioFrame]) -> None:
        for frame in frames:
            meta = frame.metadata
            if meta:
                self._meta = dict(meta)
                self._peak = max(self._peak, float(meta.get("lavfi.r128.true_peak", 0.0)))

    def feed(self, chunk: np.ndarray) -> None:
        """Measure one more (channels, n) chunk."""
        self.frames += chunk.shape[1]
        self._take(self._chain.push(chunk))

    def result(self) -> Loudness:
        """The loudness of everything fed."""
        self._take(self._chain.push(None))
        integrated = float(self._meta.get("lavfi.r128.I", SILENCE_LUFS))
        lra = float(self._meta.get("lavfi.r128.LRA", 0.0))
        return Loudness(
            None if integrated <= SILENCE_LUFS + 0.05 else integrated,
            lra,
            20 * math.log10(self._peak) if self._peak > 0 else None,
        )


def measure(
    path: str | os.PathLike[str],
    found: Probe,
    *,
    channels: int | None = None,
    progress: ProgressFunction | None = None,
    tap: Callable[[np.ndarray], None] | None = None,
) -> Measurement:
    """Decode and measure a file (mixed down to `channels` first when given); `tap` sees each
    decoded chunk (the waveform's peaks are computed from the same pass)."""
    out_channels = channels or found.channels
    mix = _Chain(found.sample_rate, found.channels, _mixdown(out_channels)) if channels else None
    meter = Meter(found.sample_rate, out_channels)
    for chunk in decode(path, found, progress):
        parts = [chunk] if mix is None else [f.to_ndarray() for f in mix.push(chunk)]
        for part in parts:
            meter.feed(part)
            if tap is not None:
                tap(part)
    for frame in mix.push(None) if mix is not None else ():
        part = frame.to_ndarray()
        meter.feed(part)
        if tap is not None:
            tap(part)
    return Measurement(found, meter.result(), meter.frames, found.sample_rate)


def _mixdown(channels: int) -> list[tuple[str, str]]:
    return [("aformat", f"sample_fmts=fltp:channel_layouts={layout_name(channels)}")]


def _levelling(channels: int, gain_db: float, limit_dbtp: float | None) -> list[tuple[str, str]]:
    """Mix down, gain, and the look-ahead limiter when a limit is given."""
    filters = _mixdown(channels) + [("volume", f"volume={gain_db:.3f}dB")]
    if limit_dbtp is not None:
        limit = min(max(10 ** (limit_dbtp / 20), 0.0625), 1.0)
        filters.append(("alimiter", f"limit={limit:.5f}:level=0:latency=1:attack=5:release=50"))
    return filters


def measure_levelled(
    path: str | os.PathLike[str],
    found: Probe,
    *,
    gain_db: float,
    limit_dbtp: float,
    channels: int,
    progress: ProgressFunction | None = None,
) -> Loudness:
    """The loudness the gain and limiter would give (no encoding): what limiting took off."""
    chain = _Chain(
        found.sample_rate, found.channels,
        _levelling(channels, gain_db, limit_dbtp) + _mixdown(channels),
    )  # fmt: skip
    meter = Meter(found.sample_rate, channels)
    for chunk in decode(path, found, progress):
        for frame in chain.push(chunk):
            meter.feed(frame.to_ndarray())
    for frame in chain.push(None):
        meter.feed(frame.to_ndarray())
    return meter.result()


def encode_mp3(
    path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    found: Probe,
    *,
    gain_db: float,
    limit_dbtp: float | None,
    bitrate_kbps: int,
    channels: int,
    progress: ProgressFunction | None = None,
) -> int:
    """Level (gain, then the limiter when `limit_dbtp` is given), resample to 44.1 kHz and
    encode to a constant-bitrate MP3 at out_path; returns the samples per channel written."""
    filters = _levelling(channels, gain_db, limit_dbtp) + [
        ("aresample", f"{OUTPUT_RATE}"),
        ("aformat", f"sample_fmts=fltp:sample_rates={OUTPUT_RATE}"
                    f":channel_layouts={layout_name(channels)}"),
    ]  # fmt: skip
    chain = _Chain(found.sample_rate, found.channels, filters, frame_size=MP3_FRAME)
    written = 0
    with av.open(
        os.fspath(out_path), "w", format="mp3", options={"id3v2_version": "0", "write_xing": "1"}
    ) as out:
        stream = out.add_stream("libmp3lame", rate=OUTPUT_RATE, layout=layout_name(channels))
        stream.bit_rate = bitrate_kbps * 1000

        def emit(frames: Iterable[av.AudioFrame]) -> None:
            nonlocal written
            for frame in frames:
                frame.pts = written
                frame.time_base = Fraction(1, OUTPUT_RATE)
                written += frame.samples
                out.mux(stream.encode(frame))

        for chunk in decode(path, found, progress):
            emit(chain.push(chunk))
        emit(chain.push(None))
        out.mux(stream.encode(None))
    return written


def mp3_probe(path: str | os.PathLike[str]) -> Probe:
    """The probe of an MP3 we wrote (for measuring it)."""
    return probe(path, "mp3")
