"""The integrity page shows the latest recorded verification without walking the chain; a button runs one."""

import re

import pytest

from casework.audit import checkpoints
from casework.audit import checks as chain_checks
from tests.e2e.session_support import sign_in_client
from tests.e2e.test_audit_pages import sign_in
from tests.integration.test_audit_tampering import raw
from web import create_app


def page(client):
    response = client.get("/audit/integrity")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["auditor", "supervisor"])
def test_auditors_and_supervisors_verify_from_the_page_and_the_run_is_recorded(client, cw, make, clock, role):
    make.case("closed")
    sign_in(client, make, "vera", [role])
    assert "Never verified" in page(client) and "Verify the chain now" in page(client)
    response = client.post("/audit/integrity/verify")
    assert response.status_code == 302 and response.headers["Location"].endswith("/audit/integrity")
    [check] = chain_checks.recent(cw)
    assert (check.by, check.via, check.ok, check.at) == ("vera", "web", True, clock.now())
    clock.advance(hours=3)
    sign_in_client(client, "vera")  # the first session went idle
    shown = page(client)
    assert "Intact" in shown and "(3 h 0 min ago)" in shown and check.head_hash in shown
    assert f"{check.event_count} events" in shown
    assert "audit_verified" in client.get("/audit?action=audit_verified").get_data(as_text=True)


def test_other_roles_may_neither_see_nor_verify(client, cw, make):
    sign_in(client, make, "bob", ["channel_admin"])
    assert client.get("/audit/integrity").status_code == 403
    assert client.post("/audit/integrity/verify").status_code == 403
    assert chain_checks.recent(cw) == []


def test_the_page_shows_the_recorded_result_and_a_broken_chain_clearly(client, cw, make):
    for state in ("closed", "admin_review"):
        make.case(state)
    sign_in(client, make, "ann", ["auditor"])
    client.post("/audit/integrity/verify")
    raw(cw, "UPDATE case_events SET actor = 'mallory' WHERE seq = 3")
    assert "Intact" in page(client) and "BROKEN" not in page(client)  # no walk on page load
    followed = client.post("/audit/integrity/verify", follow_redirects=True).get_data(as_text=True)
    assert "BROKEN: audit chain broken at event seq 3" in followed  # the flash
    shown = page(client)
    assert 'class="alert chain-broken" role="alert"' in shown
    assert "BROKEN: the audit chain failed verification" in shown and "First bad event: seq 3." in shown
    assert "hash does not match its content" in shown
    assert re.search(r"<td>ann</td><td>web</td>\s*<td class=\"problem\">BROKEN</td>", shown)


def test_a_verification_older_than_a_day_is_flagged_and_the_checkpoint_shows_its_age(client, cw, make, clock):
    sign_in(client, make, "ann", ["auditor"])
    chain_checks.scheduled_verify(cw)
    checkpoints.make_checkpoint(cw, b"k" * 40, "ann")
    assert "more than a day old" not in page(client)
    clock.advance(hours=27)
    sign_in_client(client, "ann")  # the next day: a new session
    shown = page(client)
    assert "more than a day old" in shown and "system:audit" in shown and "1 d 3 h ago" in shown


def test_the_verify_button_needs_its_csrf_token(cw, make):
    client = create_app({"CASEWORK": cw, "TESTING": True}).test_client()  # CSRF on, as in production
    sign_in(client, make, "ann", ["auditor"])
    refused = client.post("/audit/integrity/verify")
    assert refused.status_code == 400 and b"CSRF" in refused.data
    assert chain_checks.recent(cw) == []
    token = re.search(r'name="csrf_token" value="([^"]+)"', page(client)).group(1)
    assert client.post("/audit/integrity/verify", data={"csrf_token": token}).status_code == 302
    assert len(chain_checks.recent(cw)) == 1
