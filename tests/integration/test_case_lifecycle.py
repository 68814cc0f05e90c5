"""The case services on a real database (SQLite and PostgreSQL): lifecycle, rules, refusals."""

import pytest
from sqlalchemy import func, select

from casework.audit import verify as audit
from casework.cases import actions, listing, queries
from casework.errors import CaseNotFound, ConcurrentUpdate, PermissionDenied, TransitionNotAllowed, ValidationError
from casework.intake import flags as intake
from casework.storage import chain
from casework.storage.tables import Case, CaseEvent, Comment
from tests.factories import ADVICE, CLOSE, REFER


def events(cw, reference=None):
    with cw.reader() as uow:
        query = select(CaseEvent).order_by(CaseEvent.seq)
        if reference:
            query = query.join(Case, Case.id == CaseEvent.case_id).where(Case.reference == reference)
        return list(uow.session.execute(query).scalars())


def load(cw, reference):
    with cw.reader() as uow:
        return uow.session.execute(select(Case).where(Case.reference == reference)).scalar_one()


def chain_ok(cw):
    with cw.reader() as uow:
        return audit.verify(uow.session)


def test_a_case_goes_through_the_whole_workflow_with_every_step_in_its_history(cw, make, clock):
    admin, bureau, comms = make.staff("admin"), make.staff("bureau"), make.staff("comms")
    ref = intake.flag_comment(cw, admin, make.flag_payload()).case.reference
    assert ref == "WK-2026-000001"
    steps = [
        (admin, "start_review", {}),
        (admin, "refer", REFER),
        (bureau, "give_advice", ADVICE),
        (comms, "close", CLOSE),
    ]
    for version, (who, trigger, inputs) in enumerate(steps, start=1):
        clock.advance(minutes=10)
        actions.apply_trigger(cw, who, ref, trigger, inputs, expected_version=version)
    case = load(cw, ref)
    assert (case.state, case.version, case.outcome) == ("closed", 5, "crime_recorded")
    assert case.referred_by_id == admin.id and case.advised_by_id == bureau.id
    assert case.closed_at == clock.now()
    assert case.stage_inputs["give_advice"]["crime_reference"] == "23/00001/26"
    history = events(cw, ref)
    assert [e.action for e in history] == ["flagged", "transition", "transition", "transition", "transition"]
    assert [(e.from_state, e.to_state) for e in history][1:] == [
        ("detected", "admin_review"),
        ("admin_review", "crime_bureau_advice"),
        ("crime_bureau_advice", "comms_action"),
        ("comms_action", "closed"),
    ]
    assert [e.role for e in history] == ["channel_admin", "channel_admin", "channel_admin", "crime_bureau", "comms"]
    assert chain_ok(cw).ok


def test_the_evidence_digest_is_fixed_at_intake_over_the_captured_comment(cw, make):
    payload = make.flag_payload(text="  <b>exact</b> text \n kept ")
    result = intake.flag_comment(cw, make.staff("admin"), payload)
    with cw.reader() as uow:
        comment = uow.session.get(Comment, result.case.id)
    assert comment.text == payload["text"]
    assert comment.digest == result.case.evidence_digest == chain.digest(comment.captured)
    assert comment.captured["text"] == payload["text"]


def test_the_same_comment_flagged_twice_is_one_case_with_the_reflag_in_its_history(cw, make):
    admin = make.staff("admin")
    payload = make.flag_payload()
    first = intake.flag_comment(cw, admin, payload)
    second = intake.flag_comment(cw, admin, {**payload, "reason": "seen again"})
    assert first.created and not second.created
    assert second.case.reference == first.case.reference
    assert [e.action for e in events(cw, first.case.reference)] == ["flagged", "reflagged"]
    with cw.reader() as uow:
        assert uow.session.execute(select(func.count()).select_from(Case)).scalar_one() == 1


def test_references_count_per_force(cw, make):
    assert make.case(force="west_mercia") == "WM-2026-000001"
    assert make.case() == "WK-2026-000001"
    assert make.case(force="west_mercia") == "WM-2026-000002"


def test_a_trigger_from_the_wrong_state_is_refused_and_the_refusal_recorded(cw, make):
    ref = make.case("detected")
    with pytest.raises(TransitionNotAllowed, match="possible there: start_review"):
        actions.apply_trigger(cw, make.staff("admin"), ref, "refer", REFER)
    case = load(cw, ref)
    assert (case.state, case.version) == ("detected", 1)
    refusal = events(cw, ref)[-1]
    assert refusal.action == "refused" and refusal.actor == "wa.admin"
    assert refusal.data["attempted"] == "refer" and "start_review" in refusal.data["reason"]
    assert chain_ok(cw).ok


def test_a_role_that_may_not_fire_the_trigger_is_refused(cw, make):
    ref = make.case("admin_review")
    with pytest.raises(PermissionDenied, match="needs the role channel_admin"):
        actions.apply_trigger(cw, make.staff("bureau"), ref, "dismiss", {"reason_code": "spam", "note": "n"})
    assert events(cw, ref)[-1].data["refusal"] == "PermissionDenied"


def test_missing_inputs_are_refused_naming_each_field_and_nothing_changes(cw, make):
    ref = make.case("admin_review")
    with pytest.raises(ValidationError) as raised:
        actions.apply_trigger(cw, make.staff("admin"), ref, "refer", {"category": ["hate_crime"]})
    assert set(raised.value.errors) == {"strands", "threat_to_life", "note"}
    assert load(cw, ref).state == "admin_review"
    assert set(events(cw, ref)[-1].data["errors"]) == {"strands", "threat_to_life", "note"}


def test_an_unknown_trigger_and_an_unknown_case_are_refused(cw, make):
    ref = make.case()
    with pytest.raises(TransitionNotAllowed, match="unknown trigger"):
        actions.apply_trigger(cw, make.staff("admin"), ref, "to_closed")
    with pytest.raises(CaseNotFound):
        actions.apply_trigger(cw, make.staff("admin"), "WK-2026-999999", "start_review")
    assert events(cw)[-1].data == {
        "attempted": "start_review",
        "refusal": "CaseNotFound",
        "reason": "no case 'WK-2026-999999'",
        "reference": "WK-2026-999999",
    }


def test_separation_of_duties_holds_for_one_person_with_several_roles(cw, make):
    both = make.user("multi", ["channel_admin", "crime_bureau", "comms"])
    ref = make.case("admin_review")
    actions.apply_trigger(cw, both, ref, "refer", REFER)
    with pytest.raises(TransitionNotAllowed, match="you referred this case"):
        actions.apply_trigger(cw, both, ref, "give_advice", ADVICE)
    actions.apply_trigger(cw, make.staff("bureau"), ref, "give_advice", ADVICE)
    ref2 = make.case("crime_bureau_advice")
    actions.apply_trigger(cw, both, ref2, "give_advice", ADVICE)
    with pytest.raises(TransitionNotAllowed, match="you gave the advice"):
        actions.apply_trigger(cw, both, ref2, "close", CLOSE)
    actions.apply_trigger(cw, make.staff("comms"), ref2, "close", CLOSE)
    assert load(cw, ref2).state == "closed"


def test_users_act_only_on_cases_of_their_forces(cw, make):
    ref = make.case("detected", force="warwickshire")
    outsider = make.staff("admin", "west_mercia")
    with pytest.raises(CaseNotFound, match=f"no case '{ref}'"):  # answered as an unknown reference
        actions.apply_trigger(cw, outsider, ref, "start_review")
    with pytest.raises(CaseNotFound):
        queries.get_case(cw, outsider, ref)
    with pytest.raises(PermissionDenied):
        intake.flag_comment(cw, outsider, make.flag_payload("warwickshire"))
    assert listing.read_page(cw, outsider, listing.parse_query(cw, {})).rows == []
    assert actions.available_transitions(cw, outsider, load(cw, ref)) == []


def test_a_stale_version_is_refused_as_a_conflict_naming_the_current_version(cw, make):
    ref = make.case("detected")
    actions.apply_trigger(cw, make.staff("admin"), ref, "start_review", expected_version=1)
    with pytest.raises(ConcurrentUpdate) as raised:
        actions.apply_trigger(
            cw, make.staff("admin"), ref, "dismiss", {"reason_code": "spam", "note": "n"}, expected_version=1
        )
    assert raised.value.details["current_version"] == 2
    assert load(cw, ref).state == "admin_review"


def test_a_threat_to_life_referral_is_marked_on_the_case(cw, make):
    ref = make.case("admin_review")
    actions.apply_trigger(cw, make.staff("admin"), ref, "refer", {**REFER, "threat_to_life": "yes"})
    assert load(cw, ref).threat_to_life is True


def test_request_information_returns_the_case_to_the_referrer(cw, make):
    ref = make.case("crime_bureau_advice")
    actions.apply_trigger(cw, make.staff("bureau"), ref, "request_information", {"question": "More context?"})
    case = load(cw, ref)
    assert case.state == "admin_review" and case.assignee_id == make.staff("admin").id


def test_a_supervisor_reopens_a_closed_case(cw, make):
    ref = make.case("closed")
    supervisor = make.staff("supervisor")
    actions.apply_trigger(cw, supervisor, ref, "reopen", {"reason": "new evidence"})
    case = load(cw, ref)
    assert (case.state, case.closed_at, case.outcome) == ("admin_review", None, None)


def test_assignment_only_to_members_of_the_stage_team(cw, make):
    ref = make.case("crime_bureau_advice")
    bureau = make.staff("bureau")
    other = make.user("wa.bureau2", ["crime_bureau"])
    with pytest.raises(ValidationError, match="not a crime_bureau"):
        actions.assign(cw, bureau, ref, "wa.admin")
    case = actions.assign(cw, bureau, ref, "wa.bureau2")
    assert case.assignee_id == other.id
    with pytest.raises(PermissionDenied):
        actions.assign(cw, make.staff("comms"), ref, None)
    assert [e.action for e in events(cw, ref)][-3:] == ["refused", "assigned", "refused"]


def test_the_authors_other_cases_are_shown_and_can_be_linked(cw, make):
    first, second = make.case(author_handle="repeat"), make.case(author_handle="REPEAT")
    make.case(author_handle="someone_else")
    admin = make.staff("admin")
    detail = queries.get_case(cw, admin, first)
    assert [c.reference for c in detail.author_cases] == [second]
    actions.link_cases(cw, admin, first, second)
    assert [c.reference for c in queries.get_case(cw, admin, second).linked] == [first]


def test_internal_comments_go_on_the_timeline_without_changing_the_case(cw, make):
    ref = make.case()
    actions.add_comment(cw, make.staff("admin"), ref, "<i>called the channel owner</i>")
    assert events(cw, ref)[-1].data == {"text": "<i>called the channel owner</i>"}
    assert load(cw, ref).version == 1
