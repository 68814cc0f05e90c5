"""Real browser: Debian's Chromium drives a live server through whole cases, as each role would."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from casework.bootstrap import bootstrap
from casework.clock import FrozenClock
from casework.config import Settings
from tests.conftest import IN_CI, START, TEST_SECRET_KEY
from tests.e2e.conftest import PASSWORD
from tests.factories import Factory
from web import create_app

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing (make test installs it with apt-get)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def site(sqlite_url):
    """The app on its own SQLite runtime, served by werkzeug on a free port."""
    cw = bootstrap(Settings(database_url=sqlite_url, secret_key=TEST_SECRET_KEY), clock=FrozenClock(START))
    make = Factory(cw)
    for username, roles in (
        ("ann.admin", ["channel_admin"]),
        ("bob.bureau", ["crime_bureau"]),
        ("cat.comms", ["comms"]),
        ("dee.auditor", ["auditor"]),
    ):
        make.user(username, roles, ["warwickshire"], password=PASSWORD)
    server = make_server("127.0.0.1", 0, create_app({"CASEWORK": cw}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    cw.engine.dispose()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page, site, username):
    page.goto(f"{site}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site}/queue")


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))


def open_step(page, trigger):
    """Open a step's disclosure on the case page (the primary step is open already) and return its form."""
    if page.locator(f"details#step-{trigger}").get_attribute("open") is None:
        page.locator(f"details#step-{trigger} > summary").click()
    return page.locator(f"form[action$='/transitions/{trigger}']")


def flag_by_hand(page, site, external_id, text):
    page.get_by_role("link", name="Flag a comment").click()
    page.get_by_label("Platform", exact=True).select_option("facebook")
    page.get_by_label("Channel", exact=False).first.fill("Warwickshire Police (Facebook)")
    page.get_by_label("Comment id on the platform").fill(external_id)
    page.get_by_label("Link to the comment").fill(f"https://facebook.com/warwickshirepolice/posts/9?c={external_id}")
    page.get_by_label("Comment text").fill(text)
    page.get_by_label("Why you flag it").fill("race: hostility to origin")
    page.get_by_label("Author handle").fill("jay_k_1990")
    page.get_by_role("button", name="Flag comment").click()
    page.wait_for_url(re.compile(r"/cases/WK-\d{4}-\d{6}$"))
    return page.url.rsplit("/", 1)[1]


def expect_state(page, label):
    assert page.locator(".page-head .badge").first.inner_text() == label


def test_a_referral_goes_from_flag_to_advice_to_closure_and_the_auditor_traces_it(page, site):
    sign_in(page, site, "ann.admin")
    ref = flag_by_hand(page, site, "c-1001", "Go back to where you came from <script>alert(1)</script>")
    assert page.get_by_text(f"Case {ref} opened.").is_visible()
    assert page.locator("blockquote.comment").inner_text().endswith("<script>alert(1)</script>")
    open_step(page, "start_review").get_by_role("button", name="Start review").click()
    expect_state(page, "Administrator review")

    form = open_step(page, "refer")
    assert not form.get_by_label("Race").is_visible()  # strands apply to hate crime only
    form.get_by_label("Hate crime").check()
    form.get_by_label("Race").check()
    form.get_by_label("No", exact=True).check()
    form.get_by_label("Referral note").fill("Hostile to origin; please advise on recording.")
    form.get_by_role("button", name="Refer to Crime Bureau").click()
    expect_state(page, "Crime Bureau advice")
    sign_out(page)

    sign_in(page, site, "bob.bureau")
    page.get_by_role("link", name=ref).click()
    form = open_step(page, "give_advice")
    form.get_by_role("button", name="Give advice").click()  # nothing filled in: refused, per field
    assert page.locator("#give_advice-outcome-error").inner_text() == "Outcome is required"
    form = page.locator("form[action$='/transitions/give_advice']")
    form.get_by_label("Crime recorded").check()
    form.get_by_label("Crime reference").fill("23/01234/26")
    form.get_by_label(re.compile(r"^Advice \(required\)")).fill("Record as a crime; OIC allocated.")
    form.get_by_role("button", name="Give advice").click()
    expect_state(page, "Comms action")
    assert page.get_by_text("23/01234/26").first.is_visible()
    sign_out(page)

    sign_in(page, site, "cat.comms")
    page.goto(f"{site}/cases/{ref}")
    form = open_step(page, "close")
    form.get_by_label("Hidden").check()
    form.get_by_label("Reported to the platform").check()
    form.get_by_label("Note").fill("Hidden; reported to Facebook.")
    form.get_by_role("button", name="Close").click()
    expect_state(page, "Closed")
    sign_out(page)

    sign_in(page, site, "dee.auditor")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Case reference").fill(ref)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"reference="))
    rows = page.locator("table.log tbody tr").filter(has_not_text="Viewed")  # views are logged too (DPA s.62)
    assert rows.count() == 6  # the refused attempt at advice is history too
    actions = " ".join(rows.all_inner_texts())
    for step in ("Flagged", "Start review", "Refer to Crime Bureau", "Refused", "Give advice", "Close"):
        assert step in actions
    rows.first.get_by_role("link", name=ref).click()
    heads = page.locator("ol.timeline .event-head strong").all_inner_texts()
    assert heads == ["Close", "Give advice", "Refer to Crime Bureau", "Start review", "Flagged"]  # newest first
    page.get_by_role("link", name=re.compile("^Refusals")).click()
    assert page.locator("ol.timeline .event-head strong").all_inner_texts() == ["Refused"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case-page-closed-with-actions.png"), full_page=True)


def test_an_admin_dismisses_a_false_positive(page, site):
    sign_in(page, site, "ann.admin")
    ref = flag_by_hand(page, site, "c-2002", "Lovely photo of the open day!")
    open_step(page, "start_review").get_by_role("button", name="Start review").click()
    form = open_step(page, "dismiss")
    form.get_by_label("False positive").check()
    form.get_by_label("Note").fill("Keyword matched out of context.")
    form.get_by_role("button", name="Dismiss").click()
    expect_state(page, "Closed")
    assert page.locator(".badge.outcome").inner_text() == "Dismissed"
    assert page.get_by_text("The case is closed.").is_visible()
    page.get_by_role("link", name="Queue").click()
    assert page.get_by_role("link", name=ref).count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case-page-dismissed.png"), full_page=True)


def test_the_keyboard_reaches_the_skip_link_first_and_pages_run_without_console_errors(page, site):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, site, "ann.admin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for path in ("/queue", "/flag", "/dashboard", "/workflow"):
        page.goto(site + path)
    assert errors == []


def test_signing_out_in_one_browser_signs_out_a_copy_of_its_cookie(browser, page, site):
    sign_in(page, site, "cat.comms")
    cookies = page.context.cookies()
    assert [c["name"] for c in cookies] == ["session"] and cookies[0]["httpOnly"]
    thief = browser.new_context()
    try:
        thief.add_cookies(cookies)
        other = thief.new_page()
        other.goto(f"{site}/queue")
        assert other.url == f"{site}/queue"  # the copy works while the session lives
        sign_out(page)
        page.wait_for_url(f"{site}/login")
        other.goto(f"{site}/queue")
        assert other.url.startswith(f"{site}/login")
        assert other.get_by_role("button", name="Sign in").is_visible()
    finally:
        thief.close()
