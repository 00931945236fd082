"""The `podcast` command: inspect, create-user, create-token, check."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from support.data import FIXTURES, PASSWORD, SAMPLE_MP3

from podcast.current import passwords
from podcast.extensions import db
from podcast.models import ApiToken, Role, User
from podcast.services.accounts import authenticate, user_for_token

PODCAST = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "podcast"


def _json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_inspect_console_script_reports_each_file(tmp_path: Path) -> None:
    bad = tmp_path / "Ёлка — not audio.mp3"
    shutil.copy(FIXTURES / "not-audio.mp3", bad)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODCAST_")}
    env["PODCAST_SECRET_KEY"] = "x"
    result = subprocess.run(
        [str(PODCAST), "inspect", str(FIXTURES / "cbr-128k-stereo.mp3"), str(bad)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    good, refused = _json_lines(result.stdout)
    assert good["file"].endswith("cbr-128k-stereo.mp3")
    assert good["ok"] is True
    assert good["mime_type"] == "audio/mpeg"
    assert good["duration_seconds"] == pytest.approx(30.0, rel=1e-3)
    assert good["size_bytes"] == (FIXTURES / "cbr-128k-stereo.mp3").stat().st_size
    assert good["bitrate"] == 128000 and good["sample_rate"] == 44100 and good["channels"] == 2
    assert good["chapters"] == [] and good["warnings"] == []
    assert refused == {"file": str(bad), "ok": False, "error": refused["error"]}
    assert refused["error"].endswith(".") and "Traceback" not in result.stderr


def test_inspect_all_good_exits_0_and_shows_chapters(runner) -> None:
    result = runner.invoke(args=["inspect", str(FIXTURES / "chapters-id3.mp3"), str(SAMPLE_MP3)])
    assert result.exit_code == 0, result.output
    lines = _json_lines(result.stdout)
    assert [line["ok"] for line in lines] == [True, True]
    assert lines[0]["chapters"] and {"start", "title"} <= set(lines[0]["chapters"][0])


def test_inspect_missing_file(runner, tmp_path: Path) -> None:
    result = runner.invoke(args=["inspect", str(tmp_path / "nope.mp3")])
    assert result.exit_code == 1
    assert _json_lines(result.stdout)[0]["ok"] is False


def test_create_user_with_password(runner) -> None:
    result = runner.invoke(
        args=["create-user", "Aigerim@Example.org", "--password", PASSWORD, "--role", "admin"]
    )
    assert result.exit_code == 0, result.output
    assert "aigerim@example.org" in result.stdout
    user = authenticate(db.session, "aigerim@example.org", PASSWORD, passwords=passwords())
    assert user is not None and user.role == Role.ADMIN


def test_create_user_prompts_for_the_password(runner) -> None:
    result = runner.invoke(
        args=["create-user", "timur@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    user = authenticate(db.session, "timur@example.org", PASSWORD, passwords=passwords())
    assert user is not None and user.role == Role.PRODUCER


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["create-user", "a@example.org", "--password", "short"], "at least"),
        (["create-user", "not-an-email", "--password", PASSWORD], "email"),
    ],
)
def test_create_user_refusals(runner, args: list[str], says: str) -> None:
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert says in result.stderr
    assert db.session.scalar(select(User)) is None


def test_create_user_twice_is_refused(runner, make_user) -> None:
    make_user("dup@example.org")
    result = runner.invoke(args=["create-user", "dup@example.org", "--password", PASSWORD])
    assert result.exit_code == 1
    assert "already exists" in result.stderr


def test_create_token_prints_it_last_and_stores_only_its_hash(runner, make_user) -> None:
    user = make_user("api@example.org")
    result = runner.invoke(args=["create-token", "API@example.org", "--label", "ci"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert len(token) >= 32
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.label == "ci"
    dump = db.session.execute(text("SELECT * FROM api_token")).all()
    assert token not in repr(dump)
    assert user_for_token(db.session, token).id == user.id


def test_create_token_for_unknown_user(runner) -> None:
    result = runner.invoke(args=["create-token", "ghost@example.org"])
    assert result.exit_code == 1
    assert "podcast create-user ghost@example.org" in result.stderr


def test_check_when_all_is_well(runner, make_episode) -> None:
    make_episode()
    result = runner.invoke(args=["check", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert "storage and database agree" in result.stdout


def test_check_finds_and_fixes(runner, storage, make_episode) -> None:
    kept = make_episode("Kept")
    lost = make_episode("Lost")
    storage.put("episodes/crashed/audio-x.mp3", io.BytesIO(b"orphan"), content_type="audio/mpeg")
    storage.local_path(lost.audio.key).unlink()

    found = runner.invoke(args=["check", "--older-than", "0"])
    assert found.exit_code == 1
    assert "object without a row (found): episodes/crashed/audio-x.mp3" in found.stdout
    assert f"row without an object: {lost.audio.key}" in found.stdout
    assert "episode moved to draft, its audio is missing: Lost" in found.stdout
    assert storage.exists("episodes/crashed/audio-x.mp3")  # without --fix nothing is removed

    fixed = runner.invoke(args=["check", "--fix", "--older-than", "0"])
    assert fixed.exit_code == 0, fixed.output
    assert "object without a row (removed): episodes/crashed/audio-x.mp3" in fixed.stdout
    assert list(storage.iter_keys()) == [kept.audio.key]
    db.session.expire_all()
    assert db.session.get(type(lost), lost.id).status.value == "draft"


def test_check_spares_young_objects(runner, storage) -> None:
    storage.put(
        "episodes/inflight/audio-y.mp3", io.BytesIO(b"uploading"), content_type="audio/mpeg"
    )
    time.sleep(0)  # an upload in flight is seconds old; the default threshold is an hour
    result = runner.invoke(args=["check", "--fix"])
    assert result.exit_code == 0
    assert storage.exists("episodes/inflight/audio-y.mp3")


def test_an_episode_check_moves_to_draft_leaves_the_feed(runner, client, storage, make_episode):
    """The cached feed must not keep listing an episode whose audio check --fix unpublished."""
    make_episode("Kept")
    lost = make_episode("Lost")
    assert b"<title>Lost</title>" in client.get("/feed.xml").data  # rendered and cached
    storage.local_path(lost.audio.key).unlink()

    fixed = runner.invoke(args=["check", "--fix", "--older-than", "0"])
    assert fixed.exit_code == 0, fixed.output
    feed = client.get("/feed.xml").data
    assert b"<title>Lost</title>" not in feed
    assert b"<title>Kept</title>" in feed
