"""`podcast create-show`, `podcast grant` / `revoke` and `podcast export --show`: what an
operator types and reads, the refusals (exit 1, a sentence, nothing made)."""

from __future__ import annotations

import json

import pytest

from podcast.extensions import db
from podcast.models import Show, ShowMember
from podcast.services.shows import delete_show


def _shows() -> list[str]:
    db.session.expire_all()
    return [show.handle for show in db.session.query(Show).order_by(Show.id)]


def test_create_show_prints_its_feed_url(runner, show) -> None:
    result = runner.invoke(
        args=["create-show", "ozodlik", "--title", "Ozodlik podcast", "--language", "uz-Latn"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "https://podcast.example.org/shows/ozodlik/feed.xml"
    made = db.session.query(Show).filter_by(handle="ozodlik").one()
    assert (made.title, made.language) == ("Ozodlik podcast", "uz-Latn")


def test_the_first_show_created_is_the_primary_one_at_feed_xml(runner) -> None:
    result = runner.invoke(args=["create-show", "majlis", "--title", "Majlis"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "https://podcast.example.org/feed.xml"


@pytest.mark.parametrize(
    ("handle", "says"),
    [
        ("majlis", "taken"),
        ("admin", "reserved"),
        ("азаттык", "lowercase ASCII"),
        ("Two Words", "lowercase ASCII"),
        ("retired", "deleted show"),
    ],
)
def test_create_show_refuses_a_bad_handle(runner, show, handle, says) -> None:
    old = runner.invoke(args=["create-show", "retired", "--title", "Old"])
    assert old.exit_code == 0
    delete_show(db.session, None, db.session.query(Show).filter_by(handle="retired").one(), None)
    result = runner.invoke(args=["create-show", handle, "--title", "Another"])
    assert result.exit_code == 1
    assert "handle" in result.output and says in result.output
    assert _shows() == ["majlis"]


def test_grant_and_revoke_a_membership(runner, show, make_user) -> None:
    make_user("aigul@example.org", shows=[])
    assert runner.invoke(args=["create-show", "azattyk", "--title", "Азаттык"]).exit_code == 0
    granted = runner.invoke(args=["grant", "Aigul@example.org", "azattyk"])
    assert granted.exit_code == 0, granted.output
    assert "aigul@example.org is now a member of azattyk" in granted.output
    again = runner.invoke(args=["grant", "aigul@example.org", "azattyk"])
    assert "already a member" in again.output
    assert db.session.query(ShowMember).count() == 1
    revoked = runner.invoke(args=["revoke", "aigul@example.org", "azattyk"])
    assert revoked.exit_code == 0 and "no longer a member" in revoked.output
    assert db.session.query(ShowMember).count() == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["grant", "nobody@example.org", "majlis"], "No account for nobody@example.org"),
        (["grant", "aigul@example.org", "nowhere"], "no show with the handle 'nowhere'"),
        (["revoke", "aigul@example.org", "nowhere"], "no show with the handle 'nowhere'"),
    ],
)
def test_grant_refusals_say_what_is_unknown(runner, show, make_user, args, says) -> None:
    make_user("aigul@example.org", shows=[])
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert says in result.output
    assert db.session.query(ShowMember).count() == 0


def test_export_of_one_show_or_of_all(runner, show, make_episode, tmp_path) -> None:
    make_episode("Majlis episode")
    assert runner.invoke(args=["create-show", "azattyk", "--title", "Азаттык"]).exit_code == 0
    every = runner.invoke(args=["export", str(tmp_path / "all")])
    assert every.exit_code == 0, every.output
    tables = json.loads((tmp_path / "all" / "manifest.json").read_text())["tables"]
    assert [row["handle"] for row in tables["show"]] == ["majlis", "azattyk"]
    one = runner.invoke(args=["export", str(tmp_path / "one"), "--show", "azattyk"])
    assert one.exit_code == 0, one.output
    tables = json.loads((tmp_path / "one" / "manifest.json").read_text())["tables"]
    assert [row["handle"] for row in tables["show"]] == ["azattyk"]
    assert tables["episode"] == [] and tables["media_asset"] == []
    missing = runner.invoke(args=["export", str(tmp_path / "none"), "--show", "nowhere"])
    assert missing.exit_code == 1 and "nowhere" in missing.output
    assert not (tmp_path / "none").exists()
