"""Retention: review dates at closure, legal holds, redaction of personal data that the chain survives."""

import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casework.audit import exports, retention
from casework.audit import verify as audit
from casework.audit.tables import CaseRetention
from casework.bootstrap import bootstrap
from casework.cases import actions
from casework.config import ForceConfig, Settings
from casework.entrypoints.cli import main
from casework.errors import PermissionDenied, ValidationError
from casework.storage.tables import Case, CaseEvent, Comment
from tests.conftest import TEST_SECRET_KEY
from tests.factories import Factory

TEXT = "you lot are vermin, I know where you live"
REDACTED = "[redacted]"
NCHI = {"outcome": "nchi_recorded", "incident_reference": "INC/123", "advice": "record as NCHI"}


def rows(cw, ref):
    with cw.reader() as uow:
        case = uow.session.execute(select(Case).where(Case.reference == ref)).scalar_one()
        return case, uow.session.get(Comment, case.id), uow.session.get(CaseRetention, case.id)


def verified(cw):
    with cw.reader() as uow:
        return audit.verify(uow.session).ok


def dismissed(make):
    ref = make.case("admin_review", text=TEXT, author_name="Jo Bloggs", author_id="1234")
    actions.apply_trigger(make.cw, make.staff("admin"), ref, "dismiss", {"reason_code": "spam", "note": "spam"})
    return ref


def test_closure_sets_the_review_date_from_the_outcome(cw, make):
    crime, spam = make.case("closed"), dismissed(make)
    assert rows(cw, crime)[2].review_date == date(2032, 11, 25)  # crime_recorded: 6 years
    assert rows(cw, spam)[2].review_date == date(2027, 11, 25)  # dismissed: 1 year
    assert rows(cw, crime)[2].outcome == "crime_recorded"


def test_a_force_sets_its_own_periods(database_url, clock):
    forces = {
        "warwickshire": ForceConfig("warwickshire", "Warwickshire Police", "WK", extra={"retention": {"dismissed": 3}})
    }
    cw = bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=database_url, forces=forces), clock=clock)
    try:
        assert rows(cw, dismissed(Factory(cw)))[2].review_date == date(2029, 11, 25)
    finally:
        cw.engine.dispose()


@pytest.mark.parametrize("rules", [{"dismissed": "1 year"}, {"dismissed": 0}, {"unknown": 2}, ["dismissed"]])
def test_bad_retention_rules_are_refused(rules):
    with pytest.raises(ValidationError):
        retention.retention_years(ForceConfig("x", "X", "XX", extra={"retention": rules}))


def test_reopening_clears_the_review_date(cw, make):
    ref = make.case("closed")
    actions.apply_trigger(cw, make.staff("supervisor"), ref, "reopen", {"reason": "complaint"})
    assert rows(cw, ref)[2].review_date is None


def test_cases_past_review_are_redacted_and_held_cases_kept(cw, make, clock):
    due, held, later = dismissed(make), dismissed(make), make.case("closed", text=TEXT)
    retention.set_legal_hold(cw, make.staff("supervisor"), held, True, "civil claim pending")
    clock.set(clock.now() + timedelta(days=366))
    report = retention.run_retention(cw)
    assert report.redacted == [due] and report.held == [held]
    case, comment, row = rows(cw, due)
    assert comment.text is None
    assert (comment.author_handle, comment.author_name, comment.author_id) == (REDACTED, REDACTED, REDACTED)
    assert case.author_key is None and comment.redacted_at == row.redacted_at == clock.now()
    assert comment.captured["text"] == comment.captured["author_handle"] == REDACTED
    assert comment.captured["external_id"] and comment.digest == case.evidence_digest  # evidence digest stays
    assert rows(cw, held)[1].text == TEXT and rows(cw, later)[1].text == TEXT
    assert verified(cw)
    assert retention.run_retention(cw).redacted == []  # nothing twice


def test_each_redaction_is_recorded(cw, make, clock):
    ref = dismissed(make)
    clock.set(clock.now() + timedelta(days=366))
    retention.run_retention(cw)
    with cw.reader() as uow:
        [event] = uow.session.execute(select(CaseEvent).where(CaseEvent.action == "redacted")).scalars()
    assert event.actor == "system:retention" and event.data["reason"] == "retention_review_passed"
    assert event.data["fields"] == ["text", "author_id", "author_handle", "author_name"]
    assert TEXT not in json.dumps(event.data) and rows(cw, ref)[0].evidence_digest == event.data["evidence_digest"]


def test_lifting_the_hold_lets_the_next_run_redact(cw, make, clock):
    ref = dismissed(make)
    supervisor = make.staff("supervisor")
    retention.set_legal_hold(cw, supervisor, ref, True, "civil claim pending")
    clock.set(clock.now() + timedelta(days=400))
    assert retention.run_retention(cw).held == [ref]
    retention.set_legal_hold(cw, supervisor, ref, False, "claim settled")
    assert retention.run_retention(cw).redacted == [ref]


def test_only_a_supervisor_sets_a_legal_hold_with_a_reason(cw, make):
    ref = make.case("closed")
    with pytest.raises(PermissionDenied):
        retention.set_legal_hold(cw, make.staff("comms"), ref, True, "civil claim")
    with pytest.raises(ValidationError):
        retention.set_legal_hold(cw, make.staff("supervisor"), ref, True, "  ")
    with pytest.raises(ValidationError):
        retention.set_legal_hold(cw, make.staff("supervisor"), ref, False, "not on hold")


def test_nchi_below_the_threshold_redacts_the_author_at_once(cw, make):
    ref = make.case("crime_bureau_advice", text=TEXT, author_name="Jo Bloggs")
    actions.apply_trigger(cw, make.staff("bureau"), ref, "give_advice", {**NCHI, "personal_data_threshold_met": "no"})
    case, comment, row = rows(cw, ref)
    assert case.state == "comms_action" and case.author_key is None
    assert comment.author_handle == comment.author_name == REDACTED and comment.text == TEXT
    assert row.author_redacted_at is not None and row.redacted_at is None
    assert verified(cw)


def test_nchi_meeting_the_threshold_keeps_the_author(cw, make):
    ref = make.case("crime_bureau_advice")
    actions.apply_trigger(cw, make.staff("bureau"), ref, "give_advice", {**NCHI, "personal_data_threshold_met": "yes"})
    assert rows(cw, ref)[1].author_handle == "author_one"


def test_redacted_text_never_appears_in_exports_or_the_cli(cw, make, clock):
    ref = dismissed(make)
    clock.set(clock.now() + timedelta(days=366))
    retention.run_retention(cw)
    auditor, url = make.staff("auditor"), cw.settings.database_url
    for fmt in ("json", "csv"):
        body = b"".join(exports.export_case(cw, auditor, ref, fmt, "CPS", "court bundle").chunks()).decode()
        assert TEXT not in body and "author_one" not in body and "Jo Bloggs" not in body
    exported = json.loads(b"".join(exports.export_case(cw, auditor, ref, "json", "CPS", "bundle").chunks()))
    assert exported["cases"][0]["comment"] == dict.fromkeys(
        ("text", "author_handle", "author_name", "author_id"), "[redacted]"
    )
    shown = CliRunner().invoke(main, ["--db", url, "cases", "show", ref, "--as", "wa.admin"])
    assert shown.exit_code == 0 and "[redacted]" in shown.output
    assert TEXT not in shown.output and "author_one" not in shown.output and "Jo Bloggs" not in shown.output


def test_the_cli_runs_retention_and_sets_holds(cw, make):
    ref = make.case("closed")
    make.staff("supervisor")
    runner, url = CliRunner(), cw.settings.database_url
    held = runner.invoke(
        main, ["--db", url, "retention", "hold", ref, "--reason", "litigation", "--as", "wa.supervisor"]
    )
    assert held.exit_code == 0 and "legal hold set" in held.output
    ran = runner.invoke(main, ["--db", url, "retention", "run"])
    assert ran.exit_code == 0 and "redacted 0 case(s)" in ran.output


def x_case(make, state):
    return make.case(
        state,
        platform="x",
        channel="@WarksPolice",
        external_id="1850000000000000001",
        permalink="https://x.com/Jo_Bloggs/status/1850000000000000001",
        author_handle="Jo_Bloggs",
        author_name="Jo Bloggs",
        reason="reply by @Jo_Bloggs: threat",
        text=TEXT,
    )


def test_retention_leaves_the_author_nowhere_on_the_case_not_even_in_the_permalink(cw, make, clock):
    ref = x_case(make, "admin_review")
    actions.apply_trigger(cw, make.staff("admin"), ref, "dismiss", {"reason_code": "spam", "note": "spam"})
    clock.set(clock.now() + timedelta(days=366))
    assert retention.run_retention(cw).redacted == [ref]
    case, comment, _ = rows(cw, ref)
    assert case.permalink == comment.captured["permalink"] == "https://x.com/i/status/1850000000000000001"
    assert case.flag_reason == "reply by [redacted]: threat" and case.channel == "@WarksPolice"
    stored = json.dumps([case.model_dump(mode="json"), comment.model_dump(mode="json")])
    assert "Jo_Bloggs" not in stored and "Jo Bloggs" not in stored and "vermin" not in stored
    assert case.evidence_digest == comment.digest and verified(cw)


def test_nchi_below_the_threshold_rewrites_the_permalink_at_once(cw, make):
    ref = x_case(make, "crime_bureau_advice")
    advice = {**NCHI, "personal_data_threshold_met": "no"}
    answered = actions.apply_trigger(cw, make.staff("bureau"), ref, "give_advice", advice).case
    assert answered.permalink == "https://x.com/i/status/1850000000000000001"  # what the API answers with
    case, comment, _ = rows(cw, ref)
    assert case.permalink == "https://x.com/i/status/1850000000000000001"
    assert comment.captured["author_handle"] == comment.captured["author_name"] == REDACTED
    assert comment.text == TEXT == comment.captured["text"]
    assert "Jo_Bloggs" not in json.dumps([case.model_dump(mode="json"), comment.model_dump(mode="json")])
