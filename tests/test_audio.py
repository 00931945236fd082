"""Tests for podcast.audio: identification by content, true durations, truncation, tags."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest
from support import mpeg_synth as ms

from podcast.audio.inspect import (
    EPISODE_FORMATS_MESSAGE,
    AudioInfo,
    Chapter,
    inspect,
    require_episode_format,
)
from podcast.errors import AudioError, TruncatedAudioError

FIXTURES = Path(__file__).parent / "fixtures"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
VALID = sorted(n for n, m in MANIFEST.items() if m["valid_audio"] and n != "truncated-4k.mp3")


def close_enough(measured: float, truth: float) -> bool:
    """Within 0.1 % or 0.5 s, whichever is larger."""
    return abs(measured - truth) <= max(truth * 0.001, 0.5)


@pytest.mark.parametrize("name", VALID)
def test_manifest_sample_measures_true_duration(name: str) -> None:
    info = inspect(FIXTURES / name)
    truth = MANIFEST[name]
    assert close_enough(info.duration_seconds, truth["decoded_seconds"])
    assert info.sample_rate == truth["sample_rate"]
    assert info.channels == truth["channels"]
    assert info.size_bytes == truth["bytes"]
    assert info.bitrate and info.bitrate > 0


@pytest.mark.parametrize("name", ["cbr-128k-stereo.mp3", "vbr-xing-mono.mp3", "aac-96k.m4a"])
def test_gapless_durations_are_exact(name: str) -> None:
    # LAME delay/padding (MP3) and the edit list (M4A) drop encoder priming, as decoders do
    assert inspect(FIXTURES / name).duration_seconds == pytest.approx(30.0, abs=0.001)


def test_headerless_vbr_is_counted_not_guessed() -> None:
    info = inspect(FIXTURES / "vbr-noxing-mono.mp3")
    assert info.duration_seconds == pytest.approx(30.041, abs=0.01)
    assert 60_000 < info.bitrate < 90_000  # average, not the first frame's 224 kbps


@pytest.mark.parametrize(
    ("name", "fmt", "mime", "ext", "episode"),
    [
        ("cbr-128k-stereo.mp3", "mp3", "audio/mpeg", "mp3", True),
        ("aac-96k.m4a", "m4a", "audio/x-m4a", "m4a", True),
        ("opus-32k.opus", "ogg_opus", "audio/ogg", "opus", False),
        ("vorbis.ogg", "ogg_vorbis", "audio/ogg", "ogg", False),
        ("flac.flac", "flac", "audio/flac", "flac", False),
        ("pcm.wav", "wav", "audio/wav", "wav", False),
    ],
)
def test_format_mime_and_episode_flag(
    name: str, fmt: str, mime: str, ext: str, episode: bool
) -> None:
    info = inspect(FIXTURES / name)
    assert (info.format, info.mime_type, info.extension) == (fmt, mime, ext)
    assert info.is_episode_format is episode


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("empty.mp3", ["empty"]),
        ("id3-only.mp3", ["tag", "no", "audio"]),
        ("not-audio.mp3", ["not audio", "JPEG image"]),
    ],
)
def test_invalid_samples_are_refused_with_a_clear_sentence(name: str, words: list[str]) -> None:
    with pytest.raises(AudioError) as err:
        inspect(FIXTURES / name)
    assert not isinstance(err.value, TruncatedAudioError)
    for word in [*words, "MP3", "M4A"]:
        assert word in err.value.message


def test_truncated_sample_is_refused_as_truncated() -> None:
    with pytest.raises(TruncatedAudioError) as err:
        inspect(FIXTURES / "truncated-4k.mp3")
    assert "promises 30.0 s" in err.value.message
    assert "holds 0.2 s" in err.value.message
    assert "cut off" in err.value.message


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        ("cover.mp3", (FIXTURES / "majlis-cover-1400.jpg").read_bytes(), "JPEG image"),
        ("art.m4a", b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "PNG image"),
        ("anim.mp3", b"GIF89a" + b"\0" * 200, "GIF image"),
        ("notes.mp3", b"%PDF-1.7\n" + b"x" * 200, "PDF document"),
        ("bundle.mp3", b"PK\x03\x04" + b"\0" * 200, "ZIP archive"),
        ("page.mp3", b"<!DOCTYPE html><html><body>404</body></html>", "web page (HTML)"),
        ("readme.m4a", "Привет, this is a text file.\n".encode() * 20, "text file"),
    ],
)
def test_non_audio_is_named_whatever_the_file_is_called(
    tmp_path: Path, name: str, data: bytes, what: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(AudioError) as err:
        inspect(path)
    assert "not audio" in err.value.message
    assert what in err.value.message
    assert "MP3" in err.value.message and "M4A" in err.value.message


def test_content_wins_over_file_name(tmp_path: Path) -> None:
    mp3_as_m4a = tmp_path / "episode.m4a"
    shutil.copy(FIXTURES / "vbr-xing-mono.mp3", mp3_as_m4a)
    assert inspect(mp3_as_m4a).format == "mp3"
    synth_as_m4a = tmp_path / "synth.m4a"
    ms.write_mp3(synth_as_m4a, ms.cbr_bitrates(64, 400))
    assert inspect(synth_as_m4a).mime_type == "audio/mpeg"
    m4a_as_mp3 = tmp_path / "episode.mp3"
    shutil.copy(FIXTURES / "aac-96k.m4a", m4a_as_mp3)
    assert inspect(m4a_as_mp3).format == "m4a"


@pytest.mark.parametrize(
    ("version", "rate", "kbps"),
    [("1", 44100, 128), ("1", 48000, 64), ("1", 32000, 32), ("2", 22050, 64), ("2", 24000, 32),
     ("2", 16000, 8), ("2.5", 11025, 32), ("2.5", 12000, 16), ("2.5", 8000, 8)],
)  # fmt: skip
@pytest.mark.parametrize("channels", [1, 2])
def test_every_mpeg_version_and_rate_cbr(
    tmp_path: Path, version: str, rate: int, kbps: int, channels: int
) -> None:
    path = tmp_path / "a.mp3"
    synth = ms.write_mp3(
        path, ms.cbr_bitrates(kbps, 500), version=version, sample_rate=rate, channels=channels
    )
    info = inspect(path)
    assert info.duration_seconds == pytest.approx(synth.seconds, abs=1e-6)
    assert (info.sample_rate, info.channels) == (rate, channels)
    assert info.bitrate == pytest.approx(kbps * 1000, rel=0.01)


@pytest.mark.parametrize("version", ["1", "2", "2.5"])
def test_vbr_with_and_without_xing(tmp_path: Path, version: str) -> None:
    rate = ms._RATES[version][0]
    rates = ms.vbr_bitrates(version, 3000, seed=7)
    for xing in (False, True):
        path = tmp_path / f"v{xing}.mp3"
        synth = ms.write_mp3(path, rates, version=version, sample_rate=rate, xing=xing)
        info = inspect(path)
        assert info.duration_seconds == pytest.approx(synth.seconds, abs=1e-6)
        assert info.warnings == ()


def test_three_hour_cbr_and_vbr_stay_exact(tmp_path: Path) -> None:
    cbr = tmp_path / "cbr.mp3"
    frames = 3 * 3600 * 22050 // 576
    synth = ms.write_mp3(cbr, ms.cbr_bitrates(8, frames), version="2", sample_rate=22050)
    assert synth.size < 20_000_000
    assert inspect(cbr).duration_seconds == pytest.approx(3 * 3600, abs=0.05)
    vbr = tmp_path / "vbr.mp3"
    frames = 3 * 3600 * 8000 // 576
    rates = ms.vbr_bitrates("2.5", frames, seed=3, low=0, high=2)
    synth = ms.write_mp3(vbr, rates, version="2.5", sample_rate=8000, channels=1)
    assert synth.size < 20_000_000
    assert inspect(vbr).duration_seconds == pytest.approx(synth.seconds, abs=1e-6)


def test_big_id3_picture_is_skipped_for_the_scan_and_returned_as_art(tmp_path: Path) -> None:
    path = tmp_path / "art.mp3"
    rates = ms.vbr_bitrates("1", 2000, seed=5)
    synth = ms.write_mp3(path, rates, picture_bytes=2 * 1024 * 1024)
    info = inspect(path)
    assert info.duration_seconds == pytest.approx(synth.seconds, abs=1e-6)
    assert info.cover_art is not None and len(info.cover_art) == 2 * 1024 * 1024
    assert info.cover_art_mime == "image/jpeg"
    assert "cover_art" not in info.to_json()


def test_junk_before_first_frame_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "junk.mp3"
    # junk that contains sync-like bytes, so a single valid-looking header is not enough
    junk = b"\x00garbage\xff\xfb\x90\x00" + bytes(range(256)) * 4
    synth = ms.write_mp3(path, ms.vbr_bitrates("1", 800, seed=2), junk=junk)
    info = inspect(path)
    assert info.duration_seconds == pytest.approx(synth.seconds, abs=1e-6)
    assert any("before the first frame" in w for w in info.warnings)


def test_ape_and_id3v1_tags_at_end_are_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "tags.mp3"
    synth = ms.write_mp3(path, ms.cbr_bitrates(128, 1000), ape=True, id3v1=True)
    info = inspect(path)
    assert info.duration_seconds == pytest.approx(synth.seconds, abs=1e-6)
    assert info.bitrate == pytest.approx(128_000, rel=0.001)
    assert info.warnings == ()


def test_xing_promising_fewer_frames_than_present_is_overruled(tmp_path: Path) -> None:
    path = tmp_path / "lie.mp3"
    synth = ms.write_mp3(path, ms.vbr_bitrates("1", 1500, seed=9), xing=(300, 50_000))
    info = inspect(path)
    assert info.duration_seconds == pytest.approx(synth.seconds, abs=1e-6)
    assert any("counting frames" in w for w in info.warnings)


def test_xing_promising_more_frames_than_present_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "short.mp3"
    ms.write_mp3(path, ms.vbr_bitrates("1", 1000, seed=4), xing=(4000, 5_000_000))
    with pytest.raises(TruncatedAudioError, match="truncated"):
        inspect(path)


def _lying_xing(path: Path, bitrates: list[int], claimed_frames: int) -> ms.Synth:
    """An MP3 whose Xing header states the file's true byte count but a false frame count."""
    xing_len = len(ms.xing_frame("1", 44100, 2, 0, 0))
    truth = ms.write_mp3(path, bitrates)
    return ms.write_mp3(path, bitrates, xing=(claimed_frames, truth.audio_bytes + xing_len))


@pytest.mark.parametrize(
    ("bitrates", "claimed_frames"),
    [
        # 13 s of CBR claiming 1,000 hours: the bug report's file
        (list(ms.cbr_bitrates(128, 498)), round(1000 * 3600 * 44100 / 1152)),
        (ms.vbr_bitrates("1", 498, seed=3), 2 * 498),  # VBR claiming twice its length
        (ms.vbr_bitrates("1", 498, seed=5), 249),  # and half of it
    ],
)
def test_xing_frame_count_is_checked_even_when_its_byte_count_is_right(
    tmp_path: Path, bitrates: list[int], claimed_frames: int
) -> None:
    path = tmp_path / "liar.mp3"
    synth = _lying_xing(path, bitrates, claimed_frames)
    info = inspect(path)
    assert info.duration_seconds == pytest.approx(synth.seconds, abs=1e-6)
    assert any("counting frames" in w for w in info.warnings)


def test_a_truthful_xing_header_gives_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "honest.mp3"
    synth = ms.write_mp3(path, ms.vbr_bitrates("1", 498, seed=3), xing=True)
    info = inspect(path)
    assert info.duration_seconds == pytest.approx(synth.seconds, abs=1e-6)
    assert info.warnings == ()


def test_truncation_threshold_tolerates_two_missing_frames(tmp_path: Path) -> None:
    ok = tmp_path / "ok.mp3"
    synth = ms.write_mp3(ok, ms.cbr_bitrates(128, 1000), xing=(1002, 10))
    assert inspect(ok).duration_seconds == pytest.approx(synth.seconds, abs=1e-6)
    bad = tmp_path / "bad.mp3"
    ms.write_mp3(bad, ms.cbr_bitrates(128, 1000), xing=(1003, 10))
    with pytest.raises(TruncatedAudioError):
        inspect(bad)


def test_file_cut_mid_frame_counts_only_whole_frames(tmp_path: Path) -> None:
    path = tmp_path / "cut.mp3"
    ms.write_mp3(path, ms.cbr_bitrates(128, 1000))
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    info = inspect(path)
    assert info.duration_seconds == pytest.approx(999 * 1152 / 44100, abs=1e-6)
    assert any("cut short" in w for w in info.warnings)


def test_damage_between_frames_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "damaged.mp3"
    ms.write_mp3(path, ms.cbr_bitrates(128, 1000))
    data = bytearray(path.read_bytes())
    length = ms.frame_length("1", 128, 44100)
    data[100 * length + 500 : 100 * length + 500] = b"\x12" * 333
    path.write_bytes(bytes(data))
    info = inspect(path)
    assert info.duration_seconds == pytest.approx(1000 * 1152 / 44100, rel=0.003)
    assert any("Skipped" in w for w in info.warnings)


def test_id3_tag_with_nothing_after_it(tmp_path: Path) -> None:
    path = tmp_path / "tag.mp3"
    path.write_bytes(ms.id3v2(picture_bytes=1000))
    with pytest.raises(AudioError, match="no audio") as err:
        inspect(path)
    assert "MP3" in err.value.message and "M4A" in err.value.message


def test_single_frame_file_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "one.mp3"
    path.write_bytes(ms.frame("1", 128, 44100))
    assert inspect(path).duration_seconds == pytest.approx(1152 / 44100)


def test_id3_chapters_are_read() -> None:
    info = inspect(FIXTURES / "chapters-id3.mp3")
    assert [c.start for c in info.chapters] == [0.0, 10.0, 20.0]
    assert info.chapters[0] == Chapter(0.0, "Introduction", 10.0)
    assert info.chapters[1].title == "The Equality Now report"
    assert info.to_json()["chapters"][2] == {"start": 20.0, "title": "Are the new laws working?"}


def _m4a_boxes(data: bytes) -> dict[bytes, tuple[int, int]]:
    boxes, pos = {}, 0
    while pos < len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        boxes[kind] = (pos, size)
        pos += size
    return boxes


def test_m4a_cut_off_is_truncated(tmp_path: Path) -> None:
    data = (FIXTURES / "aac-96k.m4a").read_bytes()
    path = tmp_path / "cut.m4a"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TruncatedAudioError, match="truncated") as err:
        inspect(path)
    assert "cut off" in err.value.message


def test_m4a_whose_mdat_is_shorter_than_its_sample_table_is_truncated(tmp_path: Path) -> None:
    data = (FIXTURES / "aac-96k.m4a").read_bytes()
    pos, size = _m4a_boxes(data)[b"mdat"]
    cut = 200_000
    shrunk = data[:pos] + struct.pack(">I", size - cut) + data[pos + 4 : pos + size - cut]
    path = tmp_path / "short.m4a"
    path.write_bytes(shrunk + data[pos + size :])
    with pytest.raises(TruncatedAudioError) as err:
        inspect(path)
    assert "promises 30.0 s" in err.value.message


def test_m4a_without_moov_is_truncated(tmp_path: Path) -> None:
    data = (FIXTURES / "aac-96k.m4a").read_bytes()
    pos, _ = _m4a_boxes(data)[b"moov"]
    path = tmp_path / "nomoov.m4a"
    path.write_bytes(data[:pos])
    with pytest.raises(TruncatedAudioError, match="moov"):
        inspect(path)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("opus-32k.opus", "Opus"),
        ("vorbis.ogg", "Ogg Vorbis"),
        ("flac.flac", "FLAC"),
        ("pcm.wav", "WAV"),
    ],
)
def test_require_episode_format_refuses_other_formats(name: str, label: str) -> None:
    info = inspect(FIXTURES / name)
    with pytest.raises(AudioError) as err:
        require_episode_format(info)
    assert label in err.value.message
    assert "MP3" in err.value.message and "M4A" in err.value.message
    assert EPISODE_FORMATS_MESSAGE in err.value.message


@pytest.mark.parametrize("name", ["cbr-128k-stereo.mp3", "aac-96k.m4a"])
def test_require_episode_format_accepts_mp3_and_m4a(name: str) -> None:
    require_episode_format(inspect(FIXTURES / name))


def test_to_json_shape() -> None:
    info = inspect(FIXTURES / "majlis-sample-episode.mp3")
    assert isinstance(info, AudioInfo)
    doc = info.to_json()
    assert doc["ok"] is True
    assert set(doc) == {
        "ok", "format", "duration_seconds", "mime_type", "size_bytes", "bitrate",
        "sample_rate", "channels", "chapters", "warnings",
    }  # fmt: skip
    assert doc["format"] == "mp3" and doc["mime_type"] == "audio/mpeg"
    assert doc["duration_seconds"] == pytest.approx(17.725, abs=0.001)
    json.dumps(doc)


def test_fixtures_match_manifest() -> None:
    for name, meta in MANIFEST.items():
        assert (FIXTURES / name).stat().st_size == meta["bytes"], name
