"""The ID3v2.3 tags the service writes into published MP3s, read back with mutagen as players
read them: every frame, Unicode intact, chapters in order, cover art a JPEG of at most 1400 px,
and the audio frames (with the Xing header and the duration) untouched."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime
from pathlib import Path

import mutagen.id3
import pytest
from PIL import Image
from support.data import FIXTURES

from podcast.audio import inspect as audio
from podcast.audio import mpeg
from podcast.audio.tags import TagChapter, TagInfo, write_tags

COVER = FIXTURES / "majlis-cover-1400.jpg"
TITLE = "Выборы в Кыргызстане: Ўзбекистон ва Тоҷикистон"
INFO = TagInfo(
    title=TITLE,
    album="Маджлис",
    author="Азаттык Радиосу",
    released=datetime(2026, 12, 4, 10, 30, tzinfo=UTC),
    number=17,
    season=2,
    summary="Ғылым және өнер: a summary in Kazakh and English.",
    link="https://podcast.example.org/shows/majlis/episodes/vybory",
    language="ru",
    cover=COVER.read_bytes(),
    chapters=(
        TagChapter(20.0, "Итоги"),
        TagChapter(0.0, "Вступление"),
        TagChapter(10.0, "Гость: Дильфуза", "https://example.org/guest"),
    ),
    duration=30.0,
)


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copyfile(FIXTURES / name, target)
    return target


def _audio_frames(path: Path) -> bytes:
    """The bytes between the ID3v2 tag and any trailing tag: the MPEG frames."""
    data = path.read_bytes()
    with path.open("rb") as f:
        start = mpeg.skip_id3v2(f)
        end, _tags = mpeg.trailing_tags(f, len(data))
    return data[start:end]


def _raw(path: Path) -> mutagen.id3.ID3:
    """The tag as stored (no translation to v2.4 frames on reading)."""
    return mutagen.id3.ID3(str(path), translate=False)


@pytest.mark.parametrize(
    "name", ["majlis-sample-episode.mp3", "cbr-128k-stereo.mp3", "vbr-noxing-mono.mp3"]
)
def test_every_frame_is_written_as_id3v23_in_utf16(tmp_path: Path, name: str) -> None:
    path = _copy(tmp_path, name)
    write_tags(path, INFO)
    tag = _raw(path)
    assert tag.version == (2, 3, 0)
    assert str(tag["TIT2"]) == TITLE
    assert str(tag["TALB"]) == "Маджлис"
    assert str(tag["TPE1"]) == "Азаттык Радиосу"
    assert str(tag["TRCK"]) == "17" and str(tag["TPOS"]) == "2"
    assert (str(tag["TYER"]), str(tag["TDAT"]), str(tag["TIME"])) == ("2026", "0412", "1030")
    assert "TDRC" not in tag  # a v2.4 frame: v2.3 readers would not see the date
    comment = tag.getall("COMM")[0]
    assert comment.lang == "rus" and comment.text == [INFO.summary]
    assert [w.url for w in tag.getall("WXXX")] == [INFO.link]
    for frame in tag.values():
        if hasattr(frame, "encoding") and frame.FrameID not in ("CHAP", "CTOC"):
            assert frame.encoding == mutagen.id3.Encoding.UTF16, frame.FrameID
    assert b"\xff\xfe" in path.read_bytes()[:4096]  # UTF-16 with its byte-order mark


def test_cyrillic_and_central_asian_letters_survive_a_v23_reader(tmp_path: Path) -> None:
    path = _copy(tmp_path, "cbr-128k-stereo.mp3")
    write_tags(path, INFO)
    read = mutagen.id3.ID3(str(path))  # as a player reads it (v2.4 view)
    assert read["TIT2"].text == [TITLE]
    assert read.getall("COMM")[0].text[0].startswith("Ғылым және өнер")


def test_chapters_are_chap_frames_in_time_order_under_an_ordered_top_level_toc(
    tmp_path: Path,
) -> None:
    path = _copy(tmp_path, "cbr-128k-stereo.mp3")
    write_tags(path, INFO)
    tag = _raw(path)
    tocs = tag.getall("CTOC")
    assert len(tocs) == 1
    toc = tocs[0]
    assert toc.flags & mutagen.id3.CTOCFlags.TOP_LEVEL and toc.flags & mutagen.id3.CTOCFlags.ORDERED
    chapters = {chap.element_id: chap for chap in tag.getall("CHAP")}
    ordered = [chapters[element_id] for element_id in toc.child_element_ids]
    assert [str(c.sub_frames["TIT2"]) for c in ordered] == [
        "Вступление", "Гость: Дильфуза", "Итоги",
    ]  # fmt: skip
    assert [(c.start_time, c.end_time) for c in ordered] == [
        (0, 10_000), (10_000, 20_000), (20_000, 30_000),
    ]  # fmt: skip
    assert [w.url for w in ordered[1].sub_frames.getall("WXXX")] == ["https://example.org/guest"]
    assert ordered[0].sub_frames.getall("WXXX") == []
    # The service's own reader sees the same chapters.
    assert [(c.start, c.title) for c in audio.inspect(path).chapters] == [
        (0.0, "Вступление"), (10.0, "Гость: Дильфуза"), (20.0, "Итоги"),
    ]  # fmt: skip


def _cover(tag: mutagen.id3.ID3) -> Image.Image:
    pictures = tag.getall("APIC")
    assert len(pictures) == 1
    picture = pictures[0]
    assert picture.type == mutagen.id3.PictureType.COVER_FRONT
    assert picture.mime == "image/jpeg"
    image = Image.open(io.BytesIO(picture.data))
    assert image.format == "JPEG" and image.mode == "RGB"
    return image


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_cover_art_is_a_jpeg_of_at_most_1400_px(tmp_path: Path, fmt: str) -> None:
    big = io.BytesIO()
    Image.new("RGBA" if fmt == "PNG" else "RGB", (3000, 3000), (200, 30, 40)).save(big, fmt)
    path = _copy(tmp_path, "cbr-128k-stereo.mp3")
    write_tags(path, TagInfo(title="Art", cover=big.getvalue()))
    assert _cover(_raw(path)).size == (1400, 1400)


def test_a_cover_already_small_enough_is_written_as_it_is(tmp_path: Path) -> None:
    path = _copy(tmp_path, "cbr-128k-stereo.mp3")
    write_tags(path, INFO)
    assert _cover(_raw(path)).size == (1400, 1400)
    assert _raw(path).getall("APIC")[0].data == COVER.read_bytes()


@pytest.mark.parametrize(
    "name",
    ["majlis-sample-episode.mp3", "cbr-128k-stereo.mp3", "vbr-noxing-mono.mp3", "chapters-id3.mp3"],
)
def test_the_audio_frames_and_the_duration_are_untouched(tmp_path: Path, name: str) -> None:
    path = _copy(tmp_path, name)
    before = audio.inspect(path)
    frames = _audio_frames(path)
    write_tags(path, INFO)
    assert _audio_frames(path) == frames
    after = audio.inspect(path)
    assert after.duration_seconds == before.duration_seconds
    assert (after.bitrate, after.sample_rate, after.channels) == (
        before.bitrate, before.sample_rate, before.channels,
    )  # fmt: skip
    assert after.warnings == before.warnings


def test_tags_already_in_the_file_are_replaced_and_nothing_stale_stays(tmp_path: Path) -> None:
    path = _copy(tmp_path, "chapters-id3.mp3")
    old = _raw(path)
    assert old.getall("CHAP")  # the fixture's own three chapters
    with path.open("ab") as f:  # and an ID3v1 tag at the end, as old encoders wrote
        f.write(b"TAG" + b"Old title".ljust(30, b"\0") + b"\0" * 94 + b"\xff")
    write_tags(path, TagInfo(title="Новое", chapters=(TagChapter(5.0, "Only"),), duration=30.0))
    tag = _raw(path)
    assert [str(c.sub_frames["TIT2"]) for c in tag.getall("CHAP")] == ["Only"]
    assert str(tag["TIT2"]) == "Новое"
    assert not tag.getall("APIC") and not tag.getall("COMM") and "TALB" not in tag
    assert path.read_bytes()[-128:-125] != b"TAG"
    write_tags(path, TagInfo(title="Again"))  # a rewrite without chapters drops them
    assert _raw(path).getall("CHAP") == [] and _raw(path).getall("CTOC") == []


def test_equal_tags_have_equal_fingerprints_and_any_change_shows() -> None:
    assert INFO.fingerprint() == TagInfo(**{**INFO.__dict__}).fingerprint()
    changed = [
        TagInfo(**{**INFO.__dict__, "title": "Other"}),
        TagInfo(**{**INFO.__dict__, "chapters": INFO.chapters[:1]}),
        TagInfo(**{**INFO.__dict__, "cover": b"other"}),
        TagInfo(**{**INFO.__dict__, "number": 18}),
    ]
    assert len({INFO.fingerprint(), *(info.fingerprint() for info in changed)}) == 5
