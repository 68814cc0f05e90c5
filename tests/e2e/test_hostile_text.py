"""Comment text is hostile: every page that shows it shows it as text, never as markup."""

import pytest

from casework.cases import actions

SCRIPT = "<script>alert('pwned')</script>"
IMG = '<img src=x onerror="alert(1)">'


@pytest.fixture
def hostile_case(cw, make):
    ref = make.case(
        "admin_review",
        text=f"{SCRIPT} you are all corrupt {IMG}",
        author_handle="<b>hacker</b>",
        reason=f"markup {IMG}",
    )
    actions.add_comment(cw, make.staff("admin"), ref, f"note {SCRIPT}")
    return ref


@pytest.mark.parametrize("path", ["/queue", "/cases/{ref}", "/audit", "/dashboard"])
def test_hostile_markup_is_escaped_on_every_page_that_shows_it(client, auth, make, hostile_case, path):
    auth.as_actor(make.user("sees.all", ["channel_admin", "supervisor"]))
    page = client.get(path.format(ref=hostile_case)).get_data(as_text=True)
    assert "&lt;script&gt;alert(" in page
    assert SCRIPT not in page and "<img src=x" not in page and "<b>hacker</b>" not in page


def test_the_case_page_escapes_the_author_reason_and_note(client, auth, make, hostile_case):
    auth.as_actor(make.staff("admin"))
    page = client.get(f"/cases/{hostile_case}").get_data(as_text=True)
    assert "&lt;b&gt;hacker&lt;/b&gt;" in page
    assert "markup &lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert "note &lt;script&gt;" in page


def test_no_page_has_inline_script_or_style(client, auth, make, hostile_case):
    auth.as_actor(make.user("sees.all", ["channel_admin", "supervisor"]))
    for path in ("/queue", f"/cases/{hostile_case}", "/audit", "/dashboard", "/workflow", "/flag"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "onerror=" not in page.replace("onerror=&#34;", "")
