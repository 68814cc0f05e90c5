"""Auditor pages: case as at a moment, printable history, disclosure log, exports, integrity; each view logged."""

import csv
import io
import json

import pytest
from sqlalchemy import select

from casework.audit import checkpoints, retention
from casework.cases import actions, queries
from casework.storage.tables import CaseEvent
from tests.e2e.session_support import sign_in_client
from web.views import auditing

HOSTILE = "<script>alert('x')</script> I know where you live"


def logged(cw, action):
    with cw.reader() as uow:
        return list(
            uow.session.execute(select(CaseEvent).where(CaseEvent.action == action).order_by(CaseEvent.seq)).scalars()
        )


def sign_in(client, make, username, roles):
    """Signed in as a new user without the password round (argon2 is slow; sign-in has its own tests)."""
    actor = make.user(username, roles)
    sign_in_client(client, actor.username)
    return actor


@pytest.fixture
def auditor(client, make):
    return sign_in(client, make, "ann.auditor", ["auditor"])


@pytest.mark.parametrize(
    "path",
    ["/audit/cases/{ref}", "/audit/cases/{ref}/print", "/audit/disclosures", "/audit/exports", "/audit/integrity"],
)
def test_audit_pages_need_an_auditor(client, make, path):
    ref = make.case()
    assert client.get(path.format(ref=ref)).status_code == 302  # to sign in
    sign_in(client, make, "bob", ["channel_admin"])
    assert client.get(path.format(ref=ref)).status_code == 403


def test_the_case_page_shows_the_case_as_it_stood_and_logs_the_view(client, cw, make, clock, auditor):
    ref = make.case("admin_review", text=HOSTILE)
    before = clock.now()
    clock.advance(hours=2)
    actions.apply_trigger(cw, make.staff("admin"), ref, "dismiss", {"reason_code": "spam", "note": "spam"})
    sign_in_client(client, auditor.username)  # the first session went idle during those two hours
    now = client.get(f"/audit/cases/{ref}").get_data(as_text=True)
    assert 'class="state">Closed<' in now and "Dismissed" in now
    assert HOSTILE not in now and "&lt;script&gt;alert(" in now  # escaped
    then = client.get(f"/audit/cases/{ref}?as_at=2026-11-25T09:30").get_data(as_text=True)  # London = UTC in November
    assert 'class="state">Administrator review<' in then and 'value="2026-11-25T09:30:00"' in then
    assert before < clock.now()
    views = logged(cw, "viewed")
    assert [(v.actor, v.data["via"]) for v in views] == [("ann.auditor", "web")] * 2


def test_a_much_viewed_case_counts_its_views_beside_the_timeline_as_it_stood(client, cw, make, auditor):
    ref = make.case("admin_review")
    for _ in range(4):
        client.get(f"/audit/cases/{ref}")
    page = client.get(f"/audit/cases/{ref}").get_data(as_text=True)
    timeline = page.split('id="timeline-h"')[1].split("</section>")[0]
    assert "(2 events)" in timeline and "Besides 4 views of the case by then" in timeline  # before this one
    assert "Viewed" not in timeline.split("<tbody>")[1]
    log = page.split('id="log-h"')[1]
    assert log.count("ann.auditor") >= 4 and "whole disclosure log" not in log  # below it, each view


def test_the_case_page_lists_the_newest_views_and_links_the_whole_log(client, cw, make, auditor, monkeypatch):
    monkeypatch.setattr(auditing, "CASE_PAGE_LOG", 3)
    ref = make.case("admin_review")
    for _ in range(5):
        client.get(f"/audit/cases/{ref}")
    log = client.get(f"/audit/cases/{ref}").get_data(as_text=True).split('id="log-h"')[1]
    assert "The newest 3:" in log and f'href="/audit/disclosures?case={ref}"' in log
    assert log.count("<tr") - log.count("<thead") <= 4  # a header row and three views


def test_a_bad_moment_is_refused_beside_the_field(client, make, auditor):
    response = client.get(f"/audit/cases/{make.case()}?as_at=yesterday")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="as_at-error"' in page and 'value="yesterday"' in page
    assert "The case as it stood" in page  # not a dead end: the case as it is now, the field to correct


def test_the_printable_history_has_the_whole_timeline(client, cw, make, auditor):
    ref = make.case("closed")
    page = client.get(f"/audit/cases/{ref}/print").get_data(as_text=True)
    history = queries.history(cw, auditor, ref).events
    assert len(history) == 6 and history[-1].action == "viewed"
    assert all(f"<td>{event.seq}</td>" in page for event in history[:-1])
    assert page.count("<tr><td>") == 5
    assert "auditing.css" in page and "Case history" in page
    assert logged(cw, "viewed")[0].data == {"reference": ref, "via": "web"}


def test_the_printable_history_counts_the_views_and_links_the_disclosure_log(client, cw, make, auditor):
    ref = make.case("admin_review")
    for _ in range(3):
        client.get(f"/audit/cases/{ref}/print")
    page = client.get(f"/audit/cases/{ref}/print").get_data(as_text=True)
    assert page.count("<tr><td>") == 2 and "Timeline (2 events)" in page  # flagged, start_review: no view
    assert "Besides 3 views of the case before this print" in page and f'href="/audit/disclosures?case={ref}"' in page


def test_an_export_downloads_and_is_logged_as_a_disclosure(client, cw, make, auditor):
    ref = make.case("closed")
    response = client.post(
        "/audit/exports",
        data={"scope": "case", "reference": ref, "format": "csv", "recipient": "CPS", "purpose": "charging file"},
    )
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[-1]["Action"] == "Exported" and {r["Case reference"] for r in rows} == {ref}
    assert {r["Protective marking"] for r in rows} == {"OFFICIAL-SENSITIVE"}
    [event] = logged(cw, "exported")
    assert (event.actor, event.data["recipient"], event.data["purpose"]) == ("ann.auditor", "CPS", "charging file")


def test_a_period_export_downloads_json(client, cw, make, auditor):
    refs = [make.case(), make.case("closed")]
    response = client.post(
        "/audit/exports",
        data={
            "scope": "period",
            "force": "warwickshire",
            "from": "2026-11-25",
            "to": "2026-11-25",
            "format": "json",
            "recipient": "ICO",
            "purpose": "inspection",
        },
    )
    assert [c["reference"] for c in json.loads(response.data)["cases"]] == refs


def test_an_export_without_recipient_is_shown_again_with_the_reason(client, cw, make, auditor):
    response = client.post(
        "/audit/exports",
        data={"scope": "case", "reference": make.case(), "format": "json", "recipient": "", "purpose": "x"},
    )
    assert response.status_code == 422 and b"recipient" in response.data and logged(cw, "exported") == []


def test_the_disclosure_log_lists_per_case_and_per_user(client, cw, make, auditor):
    ref = make.case()
    client.get(f"/audit/cases/{ref}")
    by_case = client.get(f"/audit/disclosures?case={ref}").get_data(as_text=True)
    by_user = client.get("/audit/disclosures?user=ann.auditor").get_data(as_text=True)
    assert "ann.auditor" in by_case and "viewed" in by_case and ref in by_user


def test_the_integrity_page_shows_the_chain_and_the_latest_checkpoint(client, cw, make, auditor):
    make.case("closed")
    assert "No checkpoint yet" in client.get("/audit/integrity").get_data(as_text=True)
    document = checkpoints.make_checkpoint(cw, b"k" * 40, "ann.auditor")
    client.post("/audit/integrity/verify")
    page = client.get("/audit/integrity").get_data(as_text=True)
    assert "Intact" in page and document["hash"] in page and "yes: the event at its seq has its hash" in page


def test_a_supervisor_sets_a_legal_hold_from_the_case_page(client, cw, make):
    ref = make.case("closed")
    sign_in(client, make, "sue", ["supervisor"])
    assert "Put on legal hold" in client.get(f"/audit/cases/{ref}").get_data(as_text=True)
    response = client.post(f"/audit/cases/{ref}/legal-hold", data={"hold": "on", "reason": "civil claim"})
    assert response.status_code == 302
    assert "Lift legal hold" in client.get(f"/audit/cases/{ref}").get_data(as_text=True)
    assert logged(cw, "legal_hold_set")[0].data == {"reason": "civil claim"}


def test_redacted_text_is_never_shown_on_the_audit_pages_or_in_downloads(client, cw, make, clock, auditor):
    ref = make.case("admin_review", text=HOSTILE, author_name="Jo Bloggs")
    actions.apply_trigger(cw, make.staff("admin"), ref, "dismiss", {"reason_code": "spam", "note": "spam"})
    clock.advance(days=366)
    assert retention.run_retention(cw).redacted == [ref]
    sign_in_client(client, auditor.username)  # a year later: a new session
    pages = [
        client.get(f"/audit/cases/{ref}"),
        client.get(f"/audit/cases/{ref}/print"),
        client.post(
            "/audit/exports",
            data={"scope": "case", "reference": ref, "format": "json", "recipient": "CPS", "purpose": "file"},
        ),
    ]
    for page in pages:
        body = page.get_data(as_text=True)
        assert "[redacted]" in body and "I know where you live" not in body
        assert "author_one" not in body and "Jo Bloggs" not in body


def test_an_auditor_takes_a_checkpoint_and_downloads_the_signed_file(client, cw, make, auditor, monkeypatch):
    make.case("closed")
    monkeypatch.setenv("CASEWORK_CHECKPOINT_KEY", "k" * 40)
    response = client.post("/audit/integrity/checkpoint")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.data)
    assert document["signature"] and len(document["hash"]) == 64
    [event] = logged(cw, "checkpoint")
    assert event.actor == "ann.auditor" and event.data["signature"] == document["signature"]
    page = client.get("/audit/integrity").get_data(as_text=True)
    assert "Take a checkpoint" in page and document["hash"] in page


def test_without_the_signing_key_no_checkpoint_is_taken(client, cw, make, auditor, monkeypatch):
    monkeypatch.delenv("CASEWORK_CHECKPOINT_KEY", raising=False)
    response = client.post("/audit/integrity/checkpoint")
    assert response.status_code == 302 and logged(cw, "checkpoint") == []
