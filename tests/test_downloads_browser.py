"""The downloads page in Chromium: its charts load as images under the strict CSP (no
violation on the page or in a chart opened on its own), light and dark, next to their tables,
and axe finds no WCAG 2.1 AA violation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from support.downloads import add_days, published_on
from support.live_server import CHROMIUM, CHROMIUM_ARGS, log_in, screenshotter

from podcast.models import utcnow

pytestmark = pytest.mark.browser
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
# Collects every CSP violation the document reports (an init script runs before the page's).
WATCH_CSP = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture
def counted(make_user: Any, make_episode: Any) -> Any:
    """A producer of Majlis and an episode with 40 days of downloads in three apps."""
    make_user("producer@example.org")
    today = utcnow().date()
    episode = published_on(make_episode("Silence and Impunity"), today - timedelta(40))
    for app, country, base in (("Apple Podcasts", "KZ", 30), ("Spotify", "KG", 12),
                               ("Overcast", "", 4)):  # fmt: skip
        add_days(episode, today - timedelta(40), [base + n % 5 for n in range(41)], app, country)
    return episode


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_charts_load_under_the_csp_beside_their_tables(
    live_server: str, counted: Any, scheme: str, request: pytest.FixtureRequest
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
        context.add_init_script(WATCH_CSP)
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        shot = screenshotter(page, request.node.name)
        log_in(page, live_server)
        for path in ("/admin/shows/majlis/downloads", f"/admin/episodes/{counted.id}/downloads"):
            page.goto(live_server + path)
            page.wait_for_load_state("networkidle")
            images = page.locator("figure.chart img")
            assert images.count() == 3
            for index in range(3):
                image = images.nth(index)
                image.scroll_into_view_if_needed()
                page.wait_for_function("(img) => img.complete", arg=image.element_handle())
                assert image.evaluate("(img) => img.naturalWidth") > 0, "the chart drew"
                source = image.evaluate("(img) => img.currentSrc")
                assert ("theme=dark" in source) == (scheme == "dark"), source
                # Each chart has its numbers in a table beside it.
                table = image.locator("xpath=ancestor::div[@class='chart-with-table']//table")
                assert table.locator("caption").count() == 1
                assert table.locator("th[scope='row']").count() > 0
            shot(path.strip("/").replace("/", "-"))
            assert page.evaluate("window.cspViolations") == [], path
            # Opened on its own (a new tab), a chart's own CSP lets its stylesheet in.
            chart = images.first.evaluate("(img) => img.currentSrc")
            page.goto(chart)
            assert page.evaluate("window.cspViolations") == [], chart
            assert page.evaluate("getComputedStyle(document.querySelector('.rect')).fill") not in (
                "",
                "rgb(0, 0, 0)",
            ), "the chart's stylesheet applied"
        assert not [text for text in console if "Content Security Policy" in text], console
        context.close()
        axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
        axe = axe_module.Axe()
        # axe is injected by the test: this context alone bypasses the CSP.
        checked = browser.new_context(bypass_csp=True, color_scheme=scheme)
        page = checked.new_page()
        log_in(page, live_server)
        page.goto(live_server + "/admin/shows/majlis/downloads")
        result = axe.run(page, options=WCAG_AA)
        problems = [
            f"{v['id']}: {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in result.response["violations"]
        ]
        assert problems == []
        browser.close()
