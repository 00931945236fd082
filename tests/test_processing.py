"""Audio processing, signal side: masters read (WAV, AIFF, FLAC), loudness against pyloudnorm,
levelling to the target under the true-peak limit, MP3 with a Xing/LAME header and the
master's duration, and every bad master refused or handled with a sentence."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pyloudnorm
import pytest
from scipy import signal
from support.masters import speechlike, write_aiff, write_wav

from podcast.audio import codec, mpeg
from podcast.audio import inspect as audio
from podcast.errors import AudioError, TruncatedAudioError
from podcast.services import processing

STEREO = processing.AudioSettings(-16.0, -1.0, 128, "stereo", False)
MONO = processing.AudioSettings(-19.0, -1.0, 64, "mono", False)


def _decoded(path: Path, fmt: str = "mp3") -> tuple[np.ndarray, int]:
    found = codec.probe(path, fmt)
    return np.concatenate(list(codec.decode(path, found)), axis=1), found.sample_rate


def _lufs(samples: np.ndarray, rate: int) -> float:
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples.T.astype(np.float64)))


def _true_peak_dbtp(samples: np.ndarray) -> float:
    """An independent true peak: 4x oversampling (polyphase) as BS.1770-4 annex 2 says."""
    up = signal.resample_poly(samples.astype(np.float64), 4, 1, axis=1)
    return float(20 * np.log10(np.max(np.abs(up))))


def write_flac(path: Path, samples: np.ndarray, rate: int) -> Path:
    """A 16-bit FLAC made with PyAV's FLAC encoder (tests may import av)."""
    layout = "stereo" if samples.shape[0] == 2 else "mono"
    ints = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=rate, layout=layout)
        for i in range(0, ints.shape[1], 4096):
            part = np.ascontiguousarray(ints[:, i : i + 4096].T.reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(part, format="s16", layout=layout)
            frame.sample_rate, frame.pts = rate, i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


# ---------------------------------------------------------------- reading masters


@pytest.mark.parametrize(
    ("bits", "floating", "channels", "rate"),
    [
        (16, False, 2, 44100),
        (24, False, 1, 48000),
        (32, False, 2, 96000),
        (32, True, 2, 48000),
        (16, False, 1, 8000),
        (24, False, 2, 192000),
    ],
)
def test_wav_masters_decode_to_their_samples(tmp_path, bits, floating, channels, rate):
    samples = speechlike(0.5, rate, channels)
    path = write_wav(tmp_path / "m.wav", samples, rate, bits=bits, floating=floating)
    found = codec.probe(path, "wav")
    assert (found.sample_rate, found.channels, found.bit_depth) == (rate, channels, bits)
    assert found.duration_seconds == pytest.approx(0.5, abs=1 / rate)
    decoded, _ = _decoded(path, "wav")
    assert decoded.shape == samples.shape
    assert np.max(np.abs(decoded - samples)) < 2.0 / 2 ** (bits - 1) + 1e-6


@pytest.mark.parametrize("bits", [16, 24])
def test_aiff_masters_decode_to_their_samples(tmp_path, bits):
    samples = speechlike(0.5, 44100, 2)
    path = write_aiff(tmp_path / "m.aiff", samples, 44100, bits=bits)
    assert audio.inspect(path).format == "aiff"
    decoded, rate = _decoded(path, "aiff")
    assert rate == 44100
    assert np.max(np.abs(decoded - samples)) < 2.0 / 2 ** (bits - 1)


def test_flac_master_decodes_and_passes_its_checksum(tmp_path):
    samples = speechlike(1.0, 44100, 2)
    path = write_flac(tmp_path / "m.flac", samples, 44100)
    found = codec.probe(path, "flac")
    assert (found.bit_depth, found.channels) == (16, 2)
    decoded, _ = _decoded(path, "flac")
    assert np.max(np.abs(decoded - samples)) < 1e-4


# ---------------------------------------------------------------- loudness, levelling, MP3


def test_loudness_agrees_with_pyloudnorm(tmp_path):
    samples = speechlike(6, 48000, 2, level_db=-28)
    path = write_wav(tmp_path / "m.wav", samples, 48000, bits=24)
    measured = codec.measure(path, codec.probe(path, "wav"))
    assert measured.loudness.integrated_lufs == pytest.approx(_lufs(samples, 48000), abs=0.5)
    assert measured.loudness.true_peak_dbtp == pytest.approx(_true_peak_dbtp(samples), abs=0.5)
    assert measured.loudness.range_lu >= 0
    assert measured.duration_seconds == pytest.approx(6.0)


@pytest.mark.parametrize(("level_db", "peaky"), [(-34.0, False), (-14.0, True)])
def test_levelled_mp3_lands_on_target_under_the_peak_limit(tmp_path, level_db, peaky):
    """A quiet master is raised and a loud, peaky one lowered (its peaks limited): both land
    within 1 LU of -16 LUFS with true peak at most -1 dBTP, measured independently."""
    samples = speechlike(8, 48000, 2, level_db=level_db)
    if peaky:  # drum-like clicks 6 dB over the rest: the gain would clip them
        samples[:, ::4800] = np.clip(samples[:, ::4800] * 8, -0.99, 0.99)
    path = write_wav(tmp_path / "m.wav", samples, 48000, bits=24)
    levelled = processing.level_to_mp3(path, codec.probe(path, "wav"), STEREO, tmp_path)
    decoded, rate = _decoded(levelled.path)
    assert rate == 44100
    assert _lufs(decoded, rate) == pytest.approx(-16.0, abs=1.0)
    assert _true_peak_dbtp(decoded) <= -1.0 + 0.1  # resample_poly's own ripple
    assert levelled.output.true_peak_dbtp is not None and levelled.output.true_peak_dbtp <= -1.0
    assert levelled.output.integrated_lufs == pytest.approx(_lufs(decoded, rate), abs=0.5)


def test_mp3_has_a_lame_header_and_the_masters_duration(tmp_path):
    samples = speechlike(7.3, 48000, 2)
    path = write_wav(tmp_path / "m.wav", samples, 48000)
    levelled = processing.level_to_mp3(path, codec.probe(path, "wav"), STEREO, tmp_path)
    data = levelled.path.read_bytes()
    assert not data.startswith(b"ID3")  # the tags are written by podcast.audio.tags
    header = mpeg.parse_header(data, 0)
    assert header is not None
    vbr = mpeg.parse_vbr_header(data[: header.length], header)
    assert vbr is not None and vbr.frames and vbr.encoder_delay > 0
    info = audio.inspect(levelled.path)
    assert info.warnings == ()
    assert info.duration_seconds == pytest.approx(7.3, rel=0.001)
    assert info.bitrate == pytest.approx(128_000, rel=0.01)
    assert (info.sample_rate, info.channels) == (44100, 2)
    decoded, _ = _decoded(levelled.path)
    assert decoded.shape[1] / 44100 == pytest.approx(7.3, rel=0.001)


def test_mono_show_gets_a_64_kbps_mono_mp3_at_minus_19(tmp_path):
    samples = speechlike(5, 44100, 2, level_db=-25)
    path = write_wav(tmp_path / "m.wav", samples, 44100)
    levelled = processing.level_to_mp3(path, codec.probe(path, "wav"), MONO, tmp_path)
    info = audio.inspect(levelled.path)
    assert (info.channels, info.bitrate) == (1, pytest.approx(64_000, rel=0.01))
    decoded, rate = _decoded(levelled.path)
    assert _lufs(decoded, rate) == pytest.approx(-19.0, abs=1.0)


def test_show_defaults_follow_the_channel_layout():
    from podcast.models import Show

    assert processing.settings_for(Show(audio_channels="stereo")).to_json() == {
        "loudness_target": -16.0, "true_peak_max": -1.0, "mp3_bitrate": 128,
        "channels": "stereo", "normalize_lossy": False,
    }  # fmt: skip
    mono = processing.settings_for(Show(audio_channels="mono"))
    assert (mono.loudness_target, mono.mp3_bitrate) == (-19.0, 64)


# ---------------------------------------------------------------- bad masters


def test_wav_whose_header_promises_more_than_it_holds_is_refused_as_truncated(tmp_path):
    samples = speechlike(1.0, 44100, 2)
    path = write_wav(tmp_path / "m.wav", samples, 44100, declared_data=44100 * 4 * 600)
    with pytest.raises(TruncatedAudioError) as caught:
        codec.probe(path, "wav")
    assert "truncated" in caught.value.message
    assert "10:00.0" in caught.value.message and "0:01.0" in caught.value.message


def test_wav_whose_header_gives_no_length_is_read_to_its_end(tmp_path):
    samples = speechlike(1.5, 44100, 2)
    path = write_wav(tmp_path / "m.wav", samples, 44100, declared_data=0xFFFFFFFF)
    found = codec.probe(path, "wav")
    assert found.duration_seconds == pytest.approx(1.5)
    assert any("does not give the audio's length" in w for w in found.warnings)


def test_wav_whose_header_says_less_than_it_holds_is_read_whole(tmp_path):
    samples = speechlike(3.0, 44100, 2)
    path = write_wav(tmp_path / "m.wav", samples, 44100, declared_data=44100 * 4)
    found = codec.probe(path, "wav")
    assert found.duration_seconds == pytest.approx(3.0)
    assert any("header says 0:01.0" in w and "0:03.0" in w for w in found.warnings)
    assert _decoded(path, "wav")[0].shape[1] == 3 * 44100


def test_zero_second_wav_is_refused(tmp_path):
    path = write_wav(tmp_path / "m.wav", np.zeros((2, 0), np.float32), 44100)
    with pytest.raises(AudioError, match="holds no audio"):
        codec.probe(path, "wav")


def test_silence_is_not_amplified(tmp_path):
    path = write_wav(tmp_path / "m.wav", np.zeros((2, 44100 * 2), np.float32), 44100)
    found = codec.probe(path, "wav")
    assert codec.measure(path, found).loudness.integrated_lufs is None
    with pytest.raises(AudioError, match="silent") as caught:
        processing.level_to_mp3(path, found, STEREO, tmp_path)
    assert "-inf" in caught.value.message
    assert not (tmp_path / "published.mp3").exists()


def test_twelve_hour_master_is_refused_saying_the_limit(tmp_path):
    """The header of a 12-hour 8 kHz mono master over a sparse file (no disk, no CPU)."""
    seconds, rate = 12 * 3600, 8000
    path = write_wav(tmp_path / "m.wav", np.zeros((1, 0), np.float32), rate,
                     declared_data=seconds * rate * 2)  # fmt: skip
    with path.open("r+b") as handle:
        handle.truncate(44 + seconds * rate * 2)
    with pytest.raises(AudioError) as caught:
        codec.probe(path, "wav")
    assert "12.0 hours" in caught.value.message and "6 hours" in caught.value.message


def test_eight_channel_master_is_mixed_down_with_a_sentence(tmp_path):
    samples = speechlike(2, 48000, 8, level_db=-30)
    path = write_wav(tmp_path / "m.wav", samples, 48000)
    found = codec.probe(path, "wav")
    assert any("8 channels" in w for w in processing.master_warnings(found))
    levelled = processing.level_to_mp3(path, found, STEREO, tmp_path)
    assert audio.inspect(levelled.path).channels == 2


def test_nine_channels_and_odd_rates_are_refused(tmp_path):
    path = write_wav(tmp_path / "m.wav", speechlike(0.2, 44100, 9), 44100)
    with pytest.raises(AudioError, match="9 channels"):
        codec.probe(path, "wav")
    path = write_wav(tmp_path / "r.wav", speechlike(0.2, 4000, 1), 4000)
    with pytest.raises(AudioError, match="4,000 Hz"):
        codec.probe(path, "wav")


@pytest.mark.parametrize("rate", [8000, 192000])
def test_8_and_192_khz_masters_become_44_1_khz_mp3s(tmp_path, rate):
    samples = speechlike(2, rate, 1, level_db=-25)
    path = write_wav(tmp_path / "m.wav", samples, rate)
    found = codec.probe(path, "wav")
    levelled = processing.level_to_mp3(path, found, STEREO, tmp_path)
    info = audio.inspect(levelled.path)
    assert info.sample_rate == 44100
    assert info.duration_seconds == pytest.approx(2.0, rel=0.001)
    assert (rate < 32000) == any("8,000 Hz" in w for w in processing.master_warnings(found))


def test_flac_with_a_bad_crc_is_refused(tmp_path):
    path = write_flac(tmp_path / "m.flac", speechlike(2, 44100, 2), 44100)
    raw = bytearray(path.read_bytes())
    middle = len(raw) // 2
    raw[middle] ^= 0x5A
    raw[middle + 1] ^= 0x33
    path.write_bytes(bytes(raw))
    found = codec.probe(path, "flac")
    with pytest.raises(AudioError, match="damaged") as caught:
        codec.measure(path, found)
    assert "checksum" in caught.value.message


def test_truncated_aiff_is_refused(tmp_path):
    samples = speechlike(2, 44100, 2)
    path = write_aiff(tmp_path / "m.aiff", samples, 44100, keep_bytes=100_000)
    with pytest.raises(TruncatedAudioError, match="truncated") as caught:
        codec.probe(path, "aiff")
    assert "0:02.0" in caught.value.message


def test_m4a_and_mp3_uploads_are_measured_as_they_are():
    from support.data import FIXTURES

    for name, fmt in (("aac-96k.m4a", "m4a"), ("cbr-128k-stereo.mp3", "mp3")):
        found = codec.probe(FIXTURES / name, fmt)
        measured = codec.measure(FIXTURES / name, found)
        assert measured.duration_seconds == pytest.approx(30.0, abs=0.1)
        decoded, rate = _decoded(FIXTURES / name, fmt)
        assert measured.loudness.integrated_lufs == pytest.approx(_lufs(decoded, rate), abs=0.5)
