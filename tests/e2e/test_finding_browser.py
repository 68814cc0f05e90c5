"""Real browser: finding cases from the header, saved views across sign-ins, a bulk dismiss with a conflict, keys."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from casework.bootstrap import bootstrap
from casework.cases import actions
from casework.clock import FrozenClock
from casework.config import Settings
from tests.conftest import START, TEST_SECRET_KEY
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_browser import browser, page, sign_in, sign_out  # noqa: F401  (shared browser fixtures)
from tests.factories import Factory
from web import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def site(sqlite_url):
    """The app on its own SQLite runtime with a password user per role; yields (url, factory)."""
    cw = bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=sqlite_url), clock=FrozenClock(START))
    make = Factory(cw)
    make.user("ann.admin", ["channel_admin"], ["warwickshire"], password=PASSWORD)
    server = make_server("127.0.0.1", 0, create_app({"CASEWORK": cw}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", make
    server.shutdown()
    thread.join()
    cw.engine.dispose()


def test_the_header_search_jumps_to_a_reference_and_lists_words(page, site):  # noqa: F811
    url, make = site
    ref = make.case(text="a very distinctive insult")
    make.case(text="something else")
    sign_in(page, url, "ann.admin")
    page.get_by_label("Find a case by reference or words").fill("wk-2026-1")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/cases/{ref}")
    page.get_by_label("Find a case by reference or words").fill("distinctive")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/search\?q=distinctive"))
    expect(page.locator(".search-results li")).to_have_count(1)
    expect(page.locator(".search-results mark")).to_have_text("distinctive")


def test_a_saved_view_is_there_after_signing_in_again(page, site):  # noqa: F811
    url, make = site
    closed = make.case("closed")
    make.case("detected")
    sign_in(page, url, "ann.admin")
    page.goto(f"{url}/cases")
    page.get_by_label("State").select_option("closed")
    page.get_by_role("button", name="Filter").click()
    page.get_by_text("Save this view or export it").click()
    page.get_by_label("Name of the view").fill("Closed cases")
    page.get_by_role("button", name="Save view").click()
    sign_out(page)
    sign_in(page, url, "ann.admin")
    page.get_by_role("navigation", name="Case lists").get_by_role("link", name="Closed cases").click()
    expect(page.locator("table.cases tbody tr")).to_have_count(1)
    expect(page.locator("table.cases tbody")).to_contain_text(closed)


def test_a_bulk_dismiss_of_twenty_reports_the_one_changed_meanwhile(page, site):  # noqa: F811
    url, make = site
    refs = [make.case("admin_review") for _ in range(20)]
    sign_in(page, url, "ann.admin")
    page.goto(f"{url}/cases?state=admin_review")
    expect(page.locator("table.cases tbody tr")).to_have_count(20)
    actions.assign(make.cw, make.staff("admin"), refs[7], None)  # someone else changes one case meanwhile
    page.get_by_label("Select all on this page").check()
    page.get_by_label("Action").select_option("dismiss")
    page.get_by_label("Reason").select_option("spam")
    page.get_by_label("Note").fill("pile-on spam")
    page.get_by_role("button", name="Apply to chosen cases").click()
    expect(page.locator(".summary")).to_have_text("19 done, 0 refused, 1 changed since you loaded them.")
    expect(page.locator(".bulk-conflicts li")).to_have_text([refs[7]])


def test_keys_move_choose_and_open_but_not_while_typing(page, site):  # noqa: F811
    url, make = site
    refs = [make.case() for _ in range(3)]
    sign_in(page, url, "ann.admin")
    page.goto(f"{url}/cases")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    boxes = page.locator("table.cases tbody input.pick")
    expect(boxes.nth(1)).to_be_checked()
    expect(boxes.nth(0)).not_to_be_checked()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("?")
    page.keyboard.press("/")
    expect(page.locator("#header-search")).to_be_focused()
    page.keyboard.type("jx")  # typed into the box, not taken as keys
    expect(page.locator("#header-search")).to_have_value("jx")
    expect(boxes.nth(2)).not_to_be_checked()
    page.locator("#header-search").blur()
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/cases/{refs[2]}")  # newest first: the first row is the last case made
