""" "Verify the chain now" records a broken result for malformed rows and forged case or comment rows,
instead of answering 500 (issue 11, items 8 and 9); the integrity page shows what is wrong."""

from casework.audit import checks as chain_checks
from tests.e2e.test_audit_pages import sign_in
from tests.tampering import raw


def verify_from_the_page(client):
    response = client.post("/audit/integrity/verify")
    assert response.status_code == 302
    return client.get("/audit/integrity").get_data(as_text=True)


def test_malformed_event_data_is_recorded_as_broken_not_a_500(client, cw, make):
    make.case("closed")
    sign_in(client, make, "ann", ["auditor"])
    raw(cw, "UPDATE case_events SET data = '{\"n\": 123456789012345678901234567890}' WHERE seq = 2")
    shown = verify_from_the_page(client)
    [check] = chain_checks.recent(cw)
    assert not check.ok and check.first_bad_seq == 2 and "64-bit" in check.problem
    assert "BROKEN: the audit chain failed verification" in shown and "First bad event: seq 2." in shown


def test_a_forged_comment_is_recorded_as_broken_naming_the_case(client, cw, make):
    reference = make.case("admin_review")
    sign_in(client, make, "ann", ["auditor"])
    raw(cw, "UPDATE comments SET text = 'FORGED'")
    shown = verify_from_the_page(client)
    [check] = chain_checks.recent(cw)
    assert not check.ok and check.case_reference == reference
    assert f"case <bdi>{reference}</bdi> does not match them" in shown and "comment&#39;s text differs" in shown
