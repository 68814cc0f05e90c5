"""Time travel: the case rebuilt from its events matches the stored case after every step of a long history."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.audit import retention, timetravel
from casework.cases import actions
from casework.errors import CaseNotFound, PermissionDenied
from casework.intake import flags as intake
from casework.storage.tables import Case
from tests.factories import ADVICE, CLOSE, REFER

FIELDS = (
    "state",
    "referrer_ids",
    "adviser_ids",
    "open_question",
    "assignee_id",
    "outcome",
    "threat_to_life",
    "referred_by_id",
    "advised_by_id",
    "closed_at",
    "stage_inputs",
)


def live(cw, ref):
    with cw.reader() as uow:
        return uow.session.execute(select(Case).where(Case.reference == ref)).scalar_one()


def long_history(make):
    """(who, what, args) steps: every trigger, loops, assignment, reopen and a second round."""
    ttl = {**REFER, "threat_to_life": "yes", "category": ["hate_crime", "malicious_communication"]}
    return [
        ("admin", "start_review", {}),
        ("supervisor", "assign", "wa.admin2"),
        ("admin2", "refer", REFER),
        ("bureau", "request_information", {"question": "which post?"}),
        ("admin", "refer", {**ttl, "answer": "the appeal for witnesses"}),
        ("bureau", "give_advice", {"outcome": "no_crime", "rationale": "not targeted", "advice": "moderate"}),
        ("comms", "close", CLOSE),
        ("supervisor", "reopen", {"reason": "new information"}),
        ("admin", "moderate", {"note": "abusive but no crime"}),
        ("comms", "close", {"actions": ["deleted"], "note": "removed"}),
        ("supervisor", "reopen", {"reason": "complaint"}),
        ("admin2", "refer", REFER),
        ("bureau2", "give_advice", ADVICE),
        ("comms", "close", CLOSE),
    ]


def test_the_rebuilt_case_matches_the_stored_case_after_every_event(cw, make, clock):
    auditor, admin = make.staff("auditor"), make.staff("admin")
    people = {"admin2": make.user("wa.admin2", ["channel_admin"]), "bureau2": make.user("wa.bureau2", ["crime_bureau"])}
    ref = intake.flag_comment(cw, admin, make.flag_payload()).case.reference
    moments = [(clock.now(), {f: getattr(live(cw, ref), f) for f in FIELDS})]
    for who, what, args in long_history(make):
        clock.advance(minutes=37)
        actor = people.get(who) or make.staff(who)
        if what == "assign":
            actions.assign(cw, actor, ref, args)
        else:
            actions.apply_trigger(cw, actor, ref, what, args)
        moments.append((clock.now(), {f: getattr(live(cw, ref), f) for f in FIELDS}))
    for at, expected in moments:
        rebuilt = timetravel.case_as_at(cw, auditor, ref, at).replay
        assert {f: getattr(rebuilt, f) for f in FIELDS} == expected, at
        between = timetravel.case_as_at(cw, auditor, ref, at + timedelta(minutes=36)).replay
        assert between.state == expected["state"]


def test_before_intake_the_case_did_not_exist(cw, make, clock):
    ref = make.case()
    past = timetravel.case_as_at(cw, make.staff("auditor"), ref, clock.now() - timedelta(seconds=1))
    assert not past.existed and past.events == []


def test_clocks_are_rebuilt_from_the_declaration(cw, make, clock):
    admin, auditor = make.staff("admin"), make.staff("auditor")
    ref = make.case()
    start = clock.now()
    clock.advance(minutes=20)
    actions.apply_trigger(cw, admin, ref, "start_review", {})
    clock.advance(minutes=10)
    actions.apply_trigger(cw, admin, ref, "refer", {**REFER, "threat_to_life": "yes"})
    clocks = timetravel.case_as_at(cw, auditor, ref, clock.now()).replay.clocks
    assert clocks["review_started"].stopped_at == start + timedelta(minutes=20)
    assert clocks["review_decision"].stopped_at == clock.now()
    crime = clocks["crime_recording_decision"]
    assert crime.running and crime.due_at == clock.now() + timedelta(hours=1)  # threat to life: from the referral
    assert clocks["end_to_end"].due_at == start + timedelta(days=5)
    early = timetravel.case_as_at(cw, auditor, ref, start + timedelta(minutes=5)).replay.clocks
    assert early["review_started"].running and early["crime_recording_decision"].due_at == start + timedelta(hours=24)


def test_legal_hold_and_redaction_are_part_of_the_past(cw, make, clock):
    ref = make.case("closed")
    before = clock.now()
    clock.advance(hours=1)
    retention.set_legal_hold(cw, make.staff("supervisor"), ref, True, "civil claim pending")
    auditor = make.staff("auditor")
    assert not timetravel.case_as_at(cw, auditor, ref, before).replay.legal_hold
    assert timetravel.case_as_at(cw, auditor, ref, clock.now()).replay.legal_hold


def test_only_auditors_and_supervisors_travel_in_time(cw, make, clock):
    ref = make.case()
    with pytest.raises(PermissionDenied):
        timetravel.case_as_at(cw, make.staff("admin"), ref, clock.now())
    with pytest.raises(CaseNotFound):  # another force's case is answered as unknown
        timetravel.case_as_at(cw, make.staff("auditor", "west_mercia"), ref, clock.now())


def test_sla_events_mark_their_run_and_give_office_hours_deadlines(cw, make, clock):
    ref = make.case("comms_action")
    due = clock.now() + timedelta(days=2)
    clock.advance(days=3)
    with cw.uow() as uow:  # as the SLA engine records a breach, at its true time
        case_id = uow.session.execute(select(Case.id).where(Case.reference == ref)).scalar_one()
        uow.record(
            "sla_breach",
            at=due,
            actor="system:sla",
            role="system",
            case=case_id,
            data={"clock": "comms_action", "run": 1, "due_at": due.isoformat()},
        )
        uow.record(
            "sla_breach",
            at=due,
            actor="system:sla",
            role="system",
            case=case_id,
            data={"clock": "review_decision", "run": 7, "due_at": due.isoformat()},
        )
        uow.commit()
    clocks = timetravel.case_as_at(cw, make.staff("auditor"), ref, clock.now()).replay.clocks
    assert clocks["comms_action"].due_at == due and clocks["comms_action"].breached_at == due
    assert clocks["review_decision"].breached_at is None  # another run
    before = timetravel.case_as_at(cw, make.staff("auditor"), ref, due - timedelta(seconds=1)).replay.clocks
    assert before["comms_action"].due_at is None and before["comms_action"].running
