"""`podcast load-episodes`: loads the sample show once, reports broken files and carries on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support.data import FIXTURES

from podcast import PROJECT_ROOT
from podcast.extensions import db
from podcast.models import Episode, Guest, MediaAsset, Show

EPISODES = PROJECT_ROOT / "episodes"
GOOD = "2026-11-20-sexual-violence-central-asia"


def _count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _summary(output: str) -> str:
    return [line for line in output.splitlines() if "added," in line][-1]


def test_load_twice_adds_nothing_the_second_time(runner, storage) -> None:
    first = runner.invoke(args=["load-episodes", str(EPISODES)])
    assert first.exit_code == 0, first.output
    assert _summary(first.stdout) == "7 added, 0 unchanged, 0 failed"
    episode = db.session.scalar(select(Episode).order_by(Episode.id))
    assert episode.guid == "6f1c2a8e-3b7d-4c59-9a0e-5d2f8b41c7a3"
    assert episode.slug == "sexual-violence-in-central-asia"
    assert [g.name for g in episode.guests] == [
        "Janette Akhilgova", "Dilfuza Kurolova", "Subhiya Mastonshoeva",
    ]  # fmt: skip
    keys = sorted(storage.iter_keys())
    counts = (_count(Show), _count(Guest), _count(Episode), _count(MediaAsset))

    second = runner.invoke(args=["load-episodes", str(EPISODES)])
    assert second.exit_code == 0, second.output
    assert _summary(second.stdout) == "0 added, 7 unchanged, 0 failed"
    assert "added " not in second.stdout.replace("0 added", "")
    assert (_count(Show), _count(Guest), _count(Episode), _count(MediaAsset)) == counts
    assert sorted(storage.iter_keys()) == keys


def test_the_seed_is_a_network_of_two_shows_sharing_a_guest(runner, client) -> None:
    assert runner.invoke(args=["load-episodes"]).exit_code == 0
    shows = {s.handle: s for s in db.session.scalars(select(Show))}
    assert set(shows) == {"majlis", "aziya"}
    assert (shows["majlis"].language, shows["aziya"].language) == ("en", "ru")
    assert shows["aziya"].artwork is not None
    home = client.get("/").get_data(as_text=True)
    assert "/shows/majlis/" in home and "/shows/aziya/" in home
    russian = client.get("/shows/aziya/feed.xml").get_data(as_text=True)
    assert "Насилие без наказания" in russian and "Dilfuza Kurolova" in russian
    guest = client.get("/guests/dilfuza-kurolova").get_data(as_text=True)
    assert "/shows/aziya/episodes/nasilie-bez-nakazaniya" in guest
    assert "/shows/majlis/episodes/sexual-violence-in-central-asia" in guest


def test_loaded_show_is_what_listeners_see(runner, client) -> None:
    assert runner.invoke(args=["load-episodes"]).exit_code == 0
    home = client.get("/shows/majlis/").get_data(as_text=True)
    assert "Silence and Impunity" in home
    answer = client.get("/shows/majlis/episodes/sexual-violence-in-central-asia")
    page = answer.get_data(as_text=True)
    for name in ("Janette Akhilgova", "Dilfuza Kurolova", "Subhiya Mastonshoeva"):
        assert name in page
    assert client.get("/feed.xml").status_code == 200


def test_if_empty_skips_a_loaded_database(runner) -> None:
    assert runner.invoke(args=["load-episodes", "--if-empty"]).exit_code == 0
    again = runner.invoke(args=["load-episodes", "--if-empty"])
    assert again.exit_code == 0
    assert "nothing loaded" in again.stdout
    assert _count(Episode) == 2  # one per sample show


def _broken(root: Path, folder: str, front: str, audio: Path | None = None) -> Path:
    target = root / folder
    target.mkdir()
    (target / "episode.md").write_text(f"+++\n{front}\n+++\nShow notes.\n", encoding="utf-8")
    if audio is not None:
        shutil.copy(audio, target / "audio.mp3")
    return target / "episode.md"


@pytest.fixture
def broken_folder(tmp_path: Path) -> tuple[Path, dict[str, tuple[Path, str]]]:
    """A copy of episodes/ with four broken episode folders beside the good one."""
    root = tmp_path / "episodes"
    shutil.copytree(EPISODES, root)
    sample = FIXTURES / "cbr-128k-stereo.mp3"
    broken = {
        "toml": (_broken(root, "a-bad-toml", 'title = "Unclosed\naudio = "audio.mp3"', sample), ""),
        "season": (
            _broken(
                root, "b-season", 'title = "Bad season"\nseason = -1\naudio = "audio.mp3"', sample
            ),
            "season",
        ),  # fmt: skip
        "audio": (_broken(root, "c-no-audio", 'title = "No audio"\naudio = "gone.mp3"'), "audio"),
        "format": (
            _broken(
                root, "d-opus", 'title = "Opus"\naudio = "audio.mp3"', FIXTURES / "opus-32k.opus"
            ),
            "audio",
        ),
    }
    return root, broken


def test_broken_episode_files_are_named_and_skipped(runner, storage, broken_folder) -> None:
    root, broken = broken_folder
    result = runner.invoke(args=["load-episodes", str(root)])
    assert result.exit_code == 1
    assert _summary(result.stdout) == "7 added, 0 unchanged, 4 failed"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 4, result.stderr
    for path, field in broken.values():
        line = next(e for e in errors if str(path) in e)
        assert f"'{field}'" in line if field else "TOML" in line
    assert "Opus" in next(e for e in errors if "d-opus" in e)
    titles = [e.title for e in db.session.scalars(select(Episode).order_by(Episode.id))]
    assert titles == [
        "Silence and Impunity: Sexual Violence in Central Asia",
        "Насилие без наказания: почему законы Центральной Азии подводят пострадавших",
    ]
    # Nothing of a broken episode was kept: every stored object has its row.
    assert sorted(storage.iter_keys()) == sorted(db.session.scalars(select(MediaAsset.key)))


def test_fixed_file_loads_on_the_next_run(runner, broken_folder) -> None:
    root, broken = broken_folder
    runner.invoke(args=["load-episodes", str(root)])
    path, _ = broken["season"]
    path.write_text(path.read_text().replace("season = -1", "season = 2"), encoding="utf-8")
    result = runner.invoke(args=["load-episodes", str(root)])
    assert _summary(result.stdout).startswith("1 added, 7 unchanged, 3 failed")
    assert db.session.scalar(select(Episode).where(Episode.title == "Bad season")).season == 2


def test_episode_without_guid_is_loaded_once(runner, tmp_path: Path) -> None:
    root = tmp_path / "episodes"
    shutil.copytree(EPISODES, root)
    _broken(root, "e-no-guid", 'title = "Бишкек после выборов"', FIXTURES / "cbr-128k-stereo.mp3")
    path = root / "e-no-guid" / "episode.md"
    path.write_text(path.read_text().replace("+++\n", '+++\naudio = "audio.mp3"\n', 1))
    first = runner.invoke(args=["load-episodes", str(root)])
    assert _summary(first.stdout) == "8 added, 0 unchanged, 0 failed", first.output
    guid = db.session.scalar(select(Episode.guid).where(Episode.title == "Бишкек после выборов"))
    second = runner.invoke(args=["load-episodes", str(root)])
    assert _summary(second.stdout) == "0 added, 8 unchanged, 0 failed", second.output
    assert _count(Episode) == 3
    assert (
        db.session.scalar(select(Episode.slug).where(Episode.guid == guid))
        == "bishkek-posle-vyborov"
    )


def test_seeded_audio_lives_under_the_episode_guid(runner, storage):
    from podcast import PROJECT_ROOT
    from podcast.extensions import db
    from podcast.models import Episode

    assert runner.invoke(args=["load-episodes", str(PROJECT_ROOT / "episodes")]).exit_code == 0
    episode = db.session.query(Episode).filter_by(guid="6f1c2a8e-3b7d-4c59-9a0e-5d2f8b41c7a3").one()
    assert episode.audio.key.startswith(f"episodes/{episode.guid}/audio-")
    assert storage.exists(episode.audio.key)
