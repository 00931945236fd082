"""`podcast export` then `podcast import` into an empty instance gives back the same feed."""

from __future__ import annotations

import json
import os

from support.app import make_app

from podcast import PROJECT_ROOT
from podcast.extensions import db


def _feed(app) -> bytes:
    with app.test_client() as client:
        response = client.get("/feed.xml")
    assert response.status_code == 200
    return response.get_data()


def test_round_trip_gives_the_same_feed_byte_for_byte(app, runner, tmp_path):
    loaded = runner.invoke(args=["load-episodes", str(PROJECT_ROOT / "episodes")])
    assert loaded.exit_code == 0, loaded.output
    original = _feed(app)
    exported = runner.invoke(args=["export", str(tmp_path / "backup"), "--media"])
    assert exported.exit_code == 0, exported.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert {row["name"] for row in manifest["tables"]["guest"]} == {
        "Janette Akhilgova",
        "Dilfuza Kurolova",
        "Subhiya Mastonshoeva",
    }
    assert oct(os.stat(tmp_path / "backup" / "manifest.json").st_mode & 0o777) == "0o600"

    restored = make_app(tmp_path / "restored")
    with restored.app_context():
        db.create_all()
        result = restored.test_cli_runner().invoke(args=["import", str(tmp_path / "backup")])
        assert result.exit_code == 0, result.output
        assert "media files restored" in result.output
        assert _feed(restored) == original
        page = restored.test_client().get("/shows/majlis/episodes/sexual-violence-in-central-asia")
        assert "Subhiya Mastonshoeva" in page.get_data(as_text=True)
        # Every media file the feed names is served by the restored instance.
        for asset in manifest["media"]:
            served = restored.test_client().head(f"/media/{asset['key']}")
            assert served.status_code == 200
            assert served.content_length == asset["size_bytes"]
        db.session.remove()
        db.engine.dispose()


def test_import_refuses_a_non_empty_instance_and_changes_nothing(app, runner, tmp_path):
    assert runner.invoke(args=["load-episodes", str(PROJECT_ROOT / "episodes")]).exit_code == 0
    assert runner.invoke(args=["export", str(tmp_path / "backup")]).exit_code == 0
    before = _feed(app)
    result = runner.invoke(args=["import", str(tmp_path / "backup")])
    assert result.exit_code == 1
    assert "already has content" in result.output
    assert _feed(app) == before


def test_import_without_media_names_the_missing_object(app, runner, tmp_path):
    assert runner.invoke(args=["load-episodes", str(PROJECT_ROOT / "episodes")]).exit_code == 0
    assert runner.invoke(args=["export", str(tmp_path / "backup")]).exit_code == 0
    empty = make_app(tmp_path / "empty")
    with empty.app_context():
        db.create_all()
        result = empty.test_cli_runner().invoke(args=["import", str(tmp_path / "backup")])
        assert result.exit_code == 1
        assert "export with --media" in result.output
        assert empty.test_client().get("/").status_code == 200
        db.session.remove()
        db.engine.dispose()


def test_import_of_a_folder_that_is_not_an_export(app, runner, tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "manifest.json").write_text('{"format": "something else"}')
    result = runner.invoke(args=["import", str(tmp_path / "junk")])
    assert result.exit_code == 1
    assert "not a version 1 podcast export" in result.output
