"""Overseers see only their forces' people and cases (issue 11, item 10), and another force's case
answers exactly like an unknown one on pages, API and CLI (item 11)."""

import re

import pytest
from click.testing import CliRunner

from casework.access import tokens
from casework.audit import checks
from casework.entrypoints.cli import main
from casework.errors import CaseworkError
from casework.intake import flags as intake
from tests.e2e.session_support import sign_in_client
from tests.e2e.test_audit_pages import sign_in


@pytest.fixture
def two_forces(cw, make):
    """People, tokens, a refused flag and a case in each force."""
    make.user("wk.newcomer", ["comms"], ["warwickshire"])
    make.user("wm.newcomer", ["comms"], ["west_mercia"])
    tokens.issue_token(cw, make.staff("admin", "warwickshire").username, "wk-token")
    tokens.issue_token(cw, make.staff("admin", "west_mercia").username, "wm-token")
    for force, other in (("warwickshire", "west_mercia"), ("west_mercia", "warwickshire")):
        with pytest.raises(CaseworkError):  # flagging for the other force is refused, and recorded
            intake.flag_comment(cw, make.staff("admin", force), make.flag_payload(other, external_id=f"ext-{force}"))
    return make.case(force="warwickshire"), make.case(force="west_mercia")


def body(response, reference: str = "") -> str:
    """The answer with the reference written as the unknown one and the (time-stamped) CSRF token left out."""
    text = response.get_data(as_text=True).replace(reference or "\0", "WM-2026-999999")
    return re.sub(r'(name="csrf_token" value=")[^"]*', r"\1", text)


def audit_page(client, query):
    """The events the log lists for this query (the table, not the filter form that echoes it)."""
    response = client.get(f"/audit?{query}")
    assert response.status_code == 200
    shown = response.get_data(as_text=True)
    return shown.split('<table class="log">', 1)[1] if '<table class="log">' in shown else ""


@pytest.mark.parametrize("role", ["auditor", "supervisor"])
def test_an_overseer_sees_only_events_about_their_forces_people(client, make, two_forces, role):
    sign_in(client, make, "vera", [role])  # warwickshire
    added = audit_page(client, "action=user_added")
    assert "wk.newcomer" in added and "wm.newcomer" not in added and "west_mercia" not in added
    issued = audit_page(client, "action=token_issued")
    assert "wk-token" in issued and "wm-token" not in issued and "wm.admin" not in issued
    assert "wm.admin" not in audit_page(client, "user=wm.admin")
    refused = audit_page(client, "action=refused")
    assert "ext-warwickshire" in refused and "ext-west_mercia" not in refused


def test_an_auditor_still_sees_the_systems_own_events(client, cw, make, two_forces):
    sign_in(client, make, "vera", ["auditor"])
    checks.scheduled_verify(cw)
    assert "system:audit" in audit_page(client, "action=audit_verified")


def test_a_two_force_auditor_sees_both(client, make, two_forces):
    make.user("both", ["auditor"], ["warwickshire", "west_mercia"])
    sign_in_client(client, "both")
    added = audit_page(client, "action=user_added")
    assert "wk.newcomer" in added and "wm.newcomer" in added


@pytest.mark.parametrize(
    "path",
    [
        "/cases/{ref}",
        "/audit/cases/{ref}",
        "/audit/cases/{ref}/print",
        "/api/v1/cases/{ref}",
        "/api/v1/cases/{ref}/history",
    ],
)
def test_another_forces_case_answers_exactly_like_an_unknown_one(client, cw, make, two_forces, path):
    sign_in(client, make, "vera", ["auditor", "supervisor"])
    bearer = {"Authorization": f"Bearer {tokens.issue_token(cw, 'vera').secret}"}
    _, theirs = two_forces
    unknown = "WM-2026-999999"
    other, missing = (client.get(path.format(ref=ref), headers=bearer) for ref in (theirs, unknown))
    assert other.status_code == missing.status_code == 404
    assert body(other, theirs) == body(missing)
    assert "west_mercia" not in other.get_data(as_text=True)


def test_another_forces_case_is_unknown_to_an_action(client, make, two_forces):
    sign_in(client, make, "vera", ["channel_admin"])
    _, theirs = two_forces
    for action, form in (
        ("comments", {"text": "hello"}),
        ("transitions/dismiss", {"version": "1", "reason_code": "spam", "note": "x"}),
        ("assign", {"assignee": "", "version": "1"}),
    ):
        other = client.post(f"/cases/{theirs}/{action}", data=form)
        missing = client.post(f"/cases/WM-2026-999999/{action}", data=form)
        assert other.status_code == missing.status_code == 404, action
        assert body(other, theirs) == body(missing)


def test_another_forces_case_is_unknown_on_the_cli(cw, make, two_forces):
    _, theirs = two_forces
    runner, url, ours = CliRunner(), cw.settings.database_url, make.staff("admin").username
    other = runner.invoke(main, ["--db", url, "cases", "history", theirs, "--as", ours])
    missing = runner.invoke(main, ["--db", url, "cases", "history", "WM-2026-999999", "--as", ours])
    assert other.exit_code == missing.exit_code != 0, other.output
    assert "WM-2026-999999" in missing.output and other.output.replace(theirs, "WM-2026-999999") == missing.output
