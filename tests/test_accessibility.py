"""axe-core in Chromium finds no WCAG 2.1 A/AA violation on public or admin pages, light or dark."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from support.app import make_app
from support.data import PASSWORD, SAMPLE_MP3
from support.live_server import CHROMIUM, CHROMIUM_ARGS, screenshotter, serve

from podcast import PROJECT_ROOT, current
from podcast.current import passwords
from podcast.extensions import db
from podcast.models import Episode, User
from podcast.services import autosave
from podcast.services.account_links import Purpose, make_link_token
from podcast.services.accounts import create_user
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, create_episode
from podcast.services.previews import preview_token
from podcast.services.uploads import Upload

pytestmark = pytest.mark.browser
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PUBLIC_PAGES = [
    "/",
    "/?q=equality",
    "/?q=nothing-matches-this",
    "/shows/majlis/episodes/sexual-violence-in-central-asia",
    "/shows/majlis/episodes/sexual-violence-in-central-asia/embed",
    "/guests/janette-akhilgova",
    "/shows/majlis/episodes/no-such-episode",
    "/login",
    "/login/forgot",
]
ADMIN_PAGES = [
    "/admin/",
    "/admin/episodes/new",
    "/admin/episodes/1/edit",
    "/admin/episodes/{draft}/edit",  # a draft's form: its preview link with a Copy button
    "/admin/guests",
    "/admin/guests/new",
    "/admin/show",
    "/admin/users",
    "/admin/jobs",
]


def _violations(axe: Any, page: Any, path: str) -> list[str]:
    result = axe.run(page, options=WCAG_AA)
    return [
        f"{path}: {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in result.response["violations"]
    ]


def _restore_a_draft(email: str, episode_id: int) -> None:
    """A draft the user typed into the episode's form: the form opens with its notice."""
    user = db.session.scalar(select(User).where(User.email == email))
    episode = db.session.get(Episode, episode_id)
    base = autosave.episode_base(episode)
    fields = {"title": "Typed, not saved"}
    assert autosave.save(db.session, user.id, episode.show_id, episode, fields, base)


@pytest.fixture
def seeded_app(tmp_path: Path):
    """The Majlis sample content and an admin, on an app served over plain http."""
    # A mail server that is never reached: the forgot-password form and link are shown.
    app = make_app(tmp_path, SITE_URL="http://127.0.0.1", SMTP_URL="smtp://127.0.0.1:9")
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(
            args=["load-episodes", str(PROJECT_ROOT / "episodes")]
        )
        assert result.exit_code == 0, result.output
        create_user(db.session, "admin@example.org", PASSWORD, "admin", passwords=passwords())
        from podcast.jobs import enqueue, run_queued

        enqueue(db.session, "ping", {"seconds": -1}, max_attempts=1)  # fails: error and Retry
        db.session.commit()
        run_queued()
        enqueue(db.session, "storage_check", {})  # stays queued: a live progress bar
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def draft(seeded_app) -> dict[str, str]:
    """A draft episode with audio: its id and its preview page's path."""
    with seeded_app.app_context():
        show = current.show()
        data = parse_episode_input(
            {"title": "Unaired Interview", "status": "draft", "number": "2",
             "description": "Guests from **Uzbekistan**."},
            partial=False, timezone=show.timezone,
        )  # fmt: skip
        files = Attachments(audio=Upload(SAMPLE_MP3.open("rb"), SAMPLE_MP3.name))
        episode = create_episode(db.session, current.storage(), show, data, files, max_bytes=2**30)
        token = preview_token(seeded_app.config["SECRET_KEY"], episode.id)
        return {"draft": str(episode.id), "preview": f"/preview/{token}"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_have_no_wcag_aa_violations(seeded_app, draft, scheme, request) -> None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    axe = axe_module.Axe()
    problems: list[str] = []
    with serve(seeded_app) as base, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # axe is injected by the test; the pages' own CSP forbids inline scripts, as it should.
        context = browser.new_context(bypass_csp=True, color_scheme=scheme)
        page = context.new_page()
        shot = screenshotter(page, f"{request.node.name}")
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        secret = seeded_app.config["SECRET_KEY"]
        links = [
            "/login/reset/" + make_link_token(secret, admin, Purpose.RESET),
            "/login/welcome/" + make_link_token(secret, admin, Purpose.INVITE),
            "/login/reset/not-a-valid-link",
        ]
        for path in [*PUBLIC_PAGES, *links, draft["preview"]]:
            response = page.goto(base + path)
            if path == draft["preview"]:  # the preview itself, banner and player, not a 404
                assert response is not None and response.status == 200
                assert page.get_by_role("note").count() == 1
            problems += _violations(axe, page, path)
        page.goto(base + "/login")
        page.get_by_label("Email").fill("admin@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(base + "/admin/")
        for path in ADMIN_PAGES:
            path = path.format(**draft)
            page.goto(base + path)
            problems += _violations(axe, page, path)
        # A refused save: the summary of problems and the fields marked invalid.
        page.goto(base + "/admin/episodes/new")
        page.get_by_role("button", name="Add a chapter").click()  # a refused chapter row too
        page.locator("#chapter-1-start").fill("0:05")
        page.get_by_role("button", name="Publish now").click()
        page.wait_for_selector("#error-summary")
        page.get_by_role("combobox", name="Find a guest").fill("a")  # the guest matches open
        page.wait_for_selector("#guest-matches [role=option]")
        problems += _violations(axe, page, "/admin/episodes/new (refused)")
        # A draft restored into the form: the notice and its Discard button.
        _restore_a_draft("admin@example.org", 1)
        page.goto(base + "/admin/episodes/1/edit")
        page.wait_for_selector("#autosave-notice")
        problems += _violations(axe, page, "/admin/episodes/1/edit (restored draft)")
        shot("admin-last-page")
        context.close()
        browser.close()
    assert not problems, "\n".join(problems)
