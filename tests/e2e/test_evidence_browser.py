"""Real browser: attaching a screenshot on the case page goes through the upload-progress script."""

from __future__ import annotations

import re

import pytest

from tests import evidence_files as files
from tests.e2e.test_browser import browser, page, sign_in, site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_an_exhibit_attached_on_the_case_page_shows_its_thumbnail_and_digest(page, site, tmp_path):  # noqa: F811
    sign_in(page, site, "ann.admin")
    page.get_by_role("link", name="Flag a comment").click()
    page.get_by_label("Platform", exact=True).select_option("facebook")
    page.get_by_label("Channel", exact=False).first.fill("Warwickshire Police (Facebook)")
    page.get_by_label("Comment id on the platform").fill("c-501")
    page.get_by_label("Link to the comment").fill("https://facebook.com/warwickshirepolice/posts/9?c=501")
    page.get_by_label("Comment text").fill("hostile")
    page.get_by_label("Why you flag it").fill("race")
    page.get_by_role("button", name="Flag comment").click()
    page.wait_for_url(re.compile(r"/cases/WK-\d{4}-\d{6}$"))
    shot = tmp_path / "screenshot.png"
    shot.write_bytes(files.png(size=(400, 300)))
    page.get_by_label("Add an exhibit").set_input_files(str(shot))
    page.get_by_label("What it shows and where it came from").fill("the post before it was hidden")
    with page.expect_request(lambda r: r.method == "POST" and r.resource_type == "xhr") as upload:
        page.get_by_role("button", name="Attach").click()  # the script posts it, reporting progress
    assert upload.value.url.endswith("/attachments")
    page.get_by_text("Exhibit AA/1 added").wait_for()  # the script shows the server's answer
    panel = page.locator("#attachments")
    assert "the post before it was hidden" in panel.inner_text()
    thumb = panel.locator("img.thumb")
    thumb.scroll_into_view_if_needed()  # the thumbnail loads lazily, and only once it is near the viewport
    loaded = page.wait_for_function("img => img.complete && img.naturalWidth", arg=thumb.element_handle())
    assert loaded.json_value() == 320
    assert len(panel.locator("code.digest").inner_text()) == 64
