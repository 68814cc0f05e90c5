"""Who may open which page: every page × every role; anonymous visitors are sent to sign in."""

import re

import pytest

ROLES = ("channel_admin", "crime_bureau", "comms", "supervisor", "auditor")
EVERYONE = set(ROLES)
PAGES = {
    "/queue": EVERYONE,
    "/cases/{ref}": EVERYONE,
    "/flag": {"channel_admin"},
    "/dashboard": EVERYONE,
    "/workflow": EVERYONE,
    "/audit": {"auditor", "supervisor"},
    "/inbox/preferences": EVERYONE,
    "/cases": EVERYONE,
    "/search?q=hostile": EVERYONE,
}


@pytest.mark.parametrize("role", (None, *ROLES), ids=lambda r: r or "anonymous")
@pytest.mark.parametrize("path", PAGES)
def test_each_page_opens_only_for_its_roles(client, auth, make, path, role):
    url = path.format(ref=make.case("admin_review"))
    if role:
        auth.as_actor(make.user(f"user.{role}", [role]))
    response = client.get(url)
    if role is None:
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    elif role in PAGES[path]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert b"this page is for the roles" in response.data
        assert not re.search(rb"for the roles: [^<]*_", response.data)  # in words, not codes


@pytest.mark.parametrize("path", ["/cases/{ref}", "/cases/{ref}/transitions/start_review"])
def test_a_case_of_another_force_answers_as_unknown(client, auth, make, path):
    ref = make.case("detected", force="warwickshire")
    auth.as_actor(make.user("wm.person", ["channel_admin", "supervisor"], forces=["west_mercia"]))
    response = (
        client.get(path.format(ref=ref))
        if "transitions" not in path
        else client.post(path.format(ref=ref), data={"version": "1"})
    )
    assert response.status_code == 404
    assert b"warwickshire" not in response.data  # nothing confirms that the case exists


def test_an_auditor_cannot_post_to_a_case(client, auth, make):
    ref = make.case("detected")
    auth.as_actor(make.staff("auditor"))
    assert client.post(f"/cases/{ref}/comments", data={"text": "hello"}).status_code == 403
    assert client.post(f"/cases/{ref}/transitions/start_review", data={"version": "1"}).status_code == 403


def test_queue_and_flag_links_in_the_navigation_follow_the_roles(client, auth, make):
    auth.as_actor(make.staff("bureau"))
    page = client.get("/queue").get_data(as_text=True)
    assert 'href="/queue"' in page and 'href="/dashboard"' in page
    assert 'href="/flag"' not in page and 'href="/audit"' not in page


def test_a_page_that_declares_no_roles_is_closed(app, client, auth, make):
    @app.get("/forgotten")
    def forgotten():
        return "should never be seen"

    auth.as_actor(make.staff("supervisor"))
    response = client.get("/forgotten")
    assert response.status_code == 403 and b"should never be seen" not in response.data
