"""The app factory: overrides, settings from the environment, refusals that name the variable."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from argon2 import profiles
from support.app import make_app
from support.data import PASSWORD

from podcast import create_app
from podcast.config import SETTINGS
from podcast.current import passwords
from podcast.errors import ConfigError
from podcast.extensions import db
from podcast.services.accounts import authenticate

PODCAST = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "podcast"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No PODCAST_* variable from the caller's environment leaks into the test."""
    for setting in SETTINGS.values():
        monkeypatch.delenv(setting.env, raising=False)
    return monkeypatch


def test_overrides_win_over_the_environment(clean_env, tmp_path: Path) -> None:
    clean_env.setenv("PODCAST_SITE_URL", "https://from-env.example.org")
    clean_env.setenv("PODCAST_MAX_UPLOAD_MB", "10")
    app = make_app(tmp_path, SITE_URL="https://majlis.example.org/", MAX_UPLOAD_MB="5")
    assert app.config["PODCAST_SITE_URL"] == "https://majlis.example.org"
    assert app.config["PODCAST_MAX_UPLOAD_MB"] == 5
    assert app.config["MAX_CONTENT_LENGTH"] >= 5 * 1024 * 1024
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["TESTING"] is True


def test_settings_come_from_the_environment(clean_env, tmp_path: Path) -> None:
    clean_env.setenv("PODCAST_DATABASE_URL", "postgres://u:p@db.example.org/podcast")
    clean_env.setenv("PODCAST_MAX_UPLOAD_MB", " 42 ")
    clean_env.setenv("PODCAST_SECRET_KEY", "s3cret")
    clean_env.setenv("PODCAST_TRUSTED_PROXIES", "1")
    app = create_app({"INSTANCE_PATH": tmp_path / "instance"})
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example.org/podcast"
    )
    assert app.config["PODCAST_MAX_UPLOAD_MB"] == 42
    assert app.config["SECRET_KEY"] == "s3cret"
    assert app.config["PODCAST_TRUSTED_PROXIES"] == 1


def test_defaults_live_in_the_instance_folder(clean_env, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": instance})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'podcast.db'}"
    assert app.config["PODCAST_STORAGE_URL"] == f"file://{instance / 'media'}"
    assert app.config["PODCAST_SITE_URL"] == "http://localhost:8000"
    assert app.config["PODCAST_MAX_UPLOAD_MB"] == 600
    assert app.config["PODCAST_REDIS_URL"] is None
    assert app.config["PODCAST_MEDIA_BASE_URL"] is None


def test_factory_does_no_io_beyond_config(tmp_path: Path) -> None:
    make_app(tmp_path, f"sqlite:///{tmp_path / 'never.db'}")
    assert not (tmp_path / "never.db").exists()
    assert not (tmp_path / "media").exists()


def test_secret_key_generated_once_into_the_instance_folder(clean_env, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    first = create_app({"INSTANCE_PATH": instance})
    second = create_app({"INSTANCE_PATH": instance})
    key_file = instance / "secret_key"
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    other = create_app({"INSTANCE_PATH": tmp_path / "other"})
    assert other.config["SECRET_KEY"] != first.config["SECRET_KEY"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PODCAST_MAX_UPLOAD_MB", "abc"),
        ("PODCAST_MAX_UPLOAD_MB", "0"),
        ("PODCAST_TRUSTED_PROXIES", "-1"),
        ("PODCAST_SITE_URL", "ftp://example.org"),
        ("PODCAST_MEDIA_BASE_URL", "cdn.example.org"),
        ("PODCAST_DATABASE_URL", "mysql://root@localhost/podcast"),
        ("PODCAST_STORAGE_URL", "media/relative"),
        ("PODCAST_REDIS_URL", "http://localhost:6379"),
        ("PODCAST_PASSWORD_HASHING", "md5"),
        ("PODCAST_FEED_STATE_SECONDS", "-1"),
        ("PODCAST_FEED_STATE_SECONDS", "soon"),
    ],
)
def test_bad_setting_is_refused_by_name(
    clean_env, tmp_path: Path, variable: str, value: str
) -> None:
    clean_env.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        create_app({"INSTANCE_PATH": tmp_path / "instance"})
    assert variable in caught.value.message
    assert caught.value.message.endswith(".")


def test_passwords_are_hashed_at_the_cost_the_setting_names(clean_env, tmp_path, make_user):
    real = passwords(create_app({"INSTANCE_PATH": tmp_path / "real"}))
    assert real.hasher.memory_cost == profiles.RFC_9106_LOW_MEMORY.memory_cost
    user = make_user()  # the tests' configuration names CHEAPEST
    assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    # A higher cost takes effect at the next login: the hash is redone at that cost.
    assert authenticate(db.session, user.email, PASSWORD, passwords=real) == user
    assert user.password_hash.startswith(f"$argon2id$v=19$m={real.hasher.memory_cost},")


def test_storage_url_with_credentials_is_refused(clean_env, tmp_path: Path) -> None:
    clean_env.setenv("PODCAST_STORAGE_URL", "s3://KEY:SECRET@bucket/media")
    with pytest.raises(ConfigError, match="PODCAST_STORAGE_URL") as caught:
        create_app({"INSTANCE_PATH": tmp_path / "instance"})
    assert "SECRET" not in caught.value.message


def _run_podcast(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PODCAST_")}
    environ.update(
        {
            "PODCAST_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "PODCAST_STORAGE_URL": f"file://{tmp_path / 'media'}",
            "PODCAST_SECRET_KEY": "test",
        }
    )
    environ.update(env)
    return subprocess.run(
        [str(PODCAST), *args], cwd=tmp_path, env=environ, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("command", [["run"], ["db", "upgrade"], ["load-episodes"]])
def test_bad_setting_stops_the_command_with_one_sentence(
    tmp_path: Path, command: list[str]
) -> None:
    result = _run_podcast(tmp_path, *command, PODCAST_MAX_UPLOAD_MB="abc")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "PODCAST_MAX_UPLOAD_MB" in lines[0] and "'abc'" in lines[0]


@pytest.mark.parametrize(
    "url", ["postgresql://nobody:hunter2@127.0.0.1:1/x", "sqlite:////nonexistent/dir/podcast.db"]
)
@pytest.mark.parametrize("command", [["db", "upgrade"], ["load-episodes"]])
def test_unusable_database_is_one_sentence(tmp_path: Path, command: list[str], url: str) -> None:
    result = _run_podcast(tmp_path, *command, PODCAST_DATABASE_URL=url)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, result.stderr
    assert "PODCAST_DATABASE_URL" in error_lines[0]
    assert "hunter2" not in result.stderr


def test_unsupported_database_is_refused_at_start(tmp_path: Path) -> None:
    result = _run_podcast(tmp_path, "db", "upgrade", PODCAST_DATABASE_URL="mysql://root@db/x")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "PODCAST_DATABASE_URL" in result.stderr


def test_database_without_tables_says_what_to_run(tmp_path: Path) -> None:
    result = _run_podcast(tmp_path, "create-user", "a@example.org", "--password", "pw-long-enough")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "podcast db upgrade" in result.stderr
