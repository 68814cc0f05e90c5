"""In Chromium: a note's @mention reaches the mentioned user's inbox; opening the case from there reads it."""

from __future__ import annotations

import re

import pytest

from notifications.dispatch import dispatch_pending
from tests.e2e.demo_world import build_world, serve
from tests.e2e.test_screens import _signed_in, chromium  # noqa: F401 (the browser fixture)
from tests.notify_support import SmtpServer, free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def world(tmp_path):
    world = build_world(tmp_path)
    server = serve(world)
    yield world
    server.shutdown()
    world.cw.engine.dispose()


def _badge(page) -> int:
    badge = page.locator(".inbox-link .badge")
    return int(badge.inner_text()) if badge.count() else 0


def test_a_mention_goes_to_the_inbox_and_opening_the_case_reads_it(chromium, world):  # noqa: F811
    ref = world.refs["admin_review"]
    context, page = _signed_in(chromium, world, "wk.comms2", 1366, "light")
    page.goto(f"{world.url}/cases/{ref}")
    page.get_by_label("Note for the timeline").fill("Seen this author before? @wk.bureau2 please look.")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_url(re.compile(rf"/cases/{ref}"))
    context.close()
    smtp = SmtpServer(free_port()).start()
    try:
        dispatch_pending(world.cw, settings=smtp.settings())
    finally:
        smtp.stop()
    mentions = [m for _, m in smtp.messages if "mentioned you in a note" in m["Subject"]]
    assert [m["To"] for m in mentions] == ["wk.bureau2@example.police.uk"]

    context, page = _signed_in(chromium, world, "wk.bureau2", 1366, "light")
    try:
        page.goto(f"{world.url}/inbox")
        before = _badge(page)
        item = page.locator("tr.unread", has_text="mentioned you in a note")
        assert item.count() == 1 and ref in item.inner_text()
        unread_for_case = page.locator("tr.unread", has=page.get_by_role("link", name=ref, exact=True)).count()
        item.get_by_role("link", name=ref).click()
        page.wait_for_url(re.compile(rf"/cases/{ref}$"))
        assert _badge(page) == before - unread_for_case
        page.goto(f"{world.url}/inbox")
        assert page.locator("tr.unread", has_text="mentioned you in a note").count() == 0
    finally:
        context.close()
