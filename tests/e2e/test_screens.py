"""Every page in a real Chromium, as each demo role that can open it, at 1366 and 320 CSS px, light and
dark: no horizontal scrolling at 320 px (WCAG 2.2 SC 1.4.10) and no axe-core violation."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from casework.entrypoints.demo import DEMO_PASSWORD
from tests.conftest import IN_CI
from tests.e2e.demo_world import World, build_world, serve

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ROLES = ("wk.admin", "wk.bureau", "wk.comms", "wk.comms2", "auditor")  # each role once, and a supervisor
WIDTHS = (1366, 320)
SCHEMES = ("light", "dark")


def _missing(what: str) -> None:
    pytest.fail(what) if IN_CI else pytest.skip(what)


@pytest.fixture(scope="module")
def chromium():
    if not os.path.exists(CHROMIUM):
        _missing(f"{CHROMIUM} is missing (make test installs it with apt-get)")
    if not AXE.exists():
        _missing(f"{AXE} is missing (make axe installs it with npm)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = build_world(tmp_path_factory.mktemp("screens"))
    server = serve(world)
    yield world
    server.shutdown()
    world.cw.engine.dispose()


def _signed_in(chromium, world: World, username: str, width: int, scheme: str, *, axe: bool = False):
    """A context for one user on one screen; CSP is bypassed here only, so that axe can be injected.

    With `axe`, every page the context opens has axe-core from its start: injecting it into each page after
    it loads took as long as the page itself and made axe's own run twice as slow (its code compiled anew)."""
    context = chromium.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme, bypass_csp=True)
    if axe:
        context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{world.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/queue$"))
    return context, page


def _states(world: World, username: str) -> list[str]:
    """Pages, plus the states worth seeing: a refused form with its error summary, a bad "as at"."""
    pages = world.pages_for(username, every_case=False)
    if username == "auditor":
        pages.append(f"/audit/cases/{world.odd_ref}?as_at=yesterday")
    return pages


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _violations(page) -> list[str]:
    """axe-core's violations on the page as it is now (the context was opened with `axe=True`)."""
    assert page.evaluate("typeof axe") == "object", "axe-core is not on the page"
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in found]


def _refused_refer(page, world: World) -> None:
    """Leave the refer form of a case empty and send it: the page comes back with its error summary."""
    page.goto(f"{world.url}/cases/{world.refs['admin_review']}")
    if page.locator("details#step-refer").get_attribute("open") is None:
        page.locator("details#step-refer > summary").click()
    page.locator("form[action$='/transitions/refer'] button[type=submit]").click()
    page.wait_for_selector(".error-summary")


def _check(page, width: int, what: str, problems: dict[str, list[str]]) -> None:
    """axe, and sideways scrolling at 320 px, in the light scheme and then the dark one, on the page as loaded.

    The schemes differ only in CSS (`prefers-color-scheme` in adaptive.css; no script reads it, nothing
    transitions), which Chromium re-applies in place: one load serves both."""
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        assert page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches"), scheme
        found = _violations(page)
        if width == 320 and (wide := _overflow(page)) > 0:
            found.append(f"scrolls sideways by {wide} px")
        if found:
            problems[f"{what} ({scheme})"] = found


@pytest.mark.parametrize("width", WIDTHS, ids=[f"{w}px" for w in WIDTHS])
@pytest.mark.parametrize("username", ROLES)
def test_every_page_reflows_and_passes_axe_light_and_dark(chromium, world, username, width):
    context, page = _signed_in(chromium, world, username, width, SCHEMES[0], axe=True)
    problems: dict[str, list[str]] = {}
    try:
        for path in _states(world, username):
            page.goto(world.url + path)
            _check(page, width, path, problems)
        if username == "wk.admin":
            _refused_refer(page, world)
            assert page.url.endswith(f"/cases/{world.refs['admin_review']}#act")
            _check(page, width, "refused refer", problems)
    finally:
        context.close()
    assert problems == {}


def test_on_a_phone_the_case_page_shows_evidence_deadlines_and_actions_before_the_timeline(chromium, world):
    context, page = _signed_in(chromium, world, "wk.admin", 320, "light")
    try:
        page.goto(f"{world.url}/cases/{world.refs['admin_review']}")
        top = {h: page.locator(f"#{h}").bounding_box()["y"] for h in ("act-h", "evidence-h", "clocks-h", "timeline-h")}
        assert top["act-h"] < top["timeline-h"] and top["evidence-h"] < top["timeline-h"]
        assert top["clocks-h"] < top["timeline-h"]
    finally:
        context.close()
