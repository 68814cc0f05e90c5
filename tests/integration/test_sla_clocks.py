"""SLA clocks start and stop with the workflow, in the same transaction, on SQLite and PostgreSQL."""

from dataclasses import replace
from datetime import timedelta

import pytest

from casework.bootstrap import bootstrap
from casework.cases import actions
from casework.config import DEFAULT_FORCES, Settings
from casework.sla.sweep import sweep
from tests.conftest import TEST_SECRET_KEY
from tests.factories import ADVICE, CLOSE, REFER, Factory
from tests.integration.sla_helpers import Published, clocks, running, sla_events

ALL = {"review_started", "review_decision", "crime_recording_decision", "comms_action", "end_to_end"}


def act(cw, make, who, ref, trigger, inputs=None):
    return actions.apply_trigger(cw, make.staff(who), ref, trigger, inputs or {})


def test_intake_starts_review_started_crime_recording_and_end_to_end(cw, make, clock):
    ref = make.case()
    runs = clocks(cw, ref)
    assert set(runs) == {"review_started", "crime_recording_decision", "end_to_end"}
    start = clock.now()
    assert runs["review_started"][0].due_at == start + timedelta(hours=1)
    assert runs["review_started"][0].warn_at == start + timedelta(minutes=45)
    assert runs["crime_recording_decision"][0].due_at == start + timedelta(hours=24)
    assert runs["end_to_end"][0].due_at == start + timedelta(days=5)


def test_starting_review_stops_review_started_and_starts_review_decision(cw, make, clock):
    ref = make.case()
    clock.advance(minutes=20)
    act(cw, make, "admin", ref, "start_review")
    runs = clocks(cw, ref)
    assert runs["review_started"][0].stopped_at == clock.now()
    assert runs["review_started"][0].status(clock.now()) == "met"
    assert runs["review_decision"][0].due_at == clock.now() + timedelta(hours=4)
    assert running(cw, ref) == {"review_decision", "crime_recording_decision", "end_to_end"}


def test_refer_stops_review_decision_and_advice_stops_crime_recording_and_starts_comms(cw, make, clock):
    ref = make.case("admin_review")
    act(cw, make, "admin", ref, "refer", REFER)
    assert running(cw, ref) == {"crime_recording_decision", "end_to_end"}
    clock.advance(hours=2)
    act(cw, make, "bureau", ref, "give_advice", ADVICE)
    assert running(cw, ref) == {"comms_action", "end_to_end"}
    comms = clocks(cw, ref)["comms_action"][0]
    assert (comms.calendar, comms.due_at) == ("office_hours", clock.now() + timedelta(days=2))  # Wed 11:00 -> Fri 11:00


def test_close_stops_comms_action_and_end_to_end(cw, make, clock):
    ref = make.case("comms_action")
    clock.advance(hours=3)
    act(cw, make, "comms", ref, "close", CLOSE)
    assert running(cw, ref) == set()
    assert {runs[-1].status(clock.now()) for runs in clocks(cw, ref).values()} == {"met"}


@pytest.mark.parametrize(
    "trigger, inputs, still_running",
    [
        ("dismiss", {"reason_code": "spam", "note": "spam"}, set()),
        ("moderate", {"note": "abusive, no crime"}, {"comms_action", "end_to_end"}),
    ],
)
def test_dismiss_and_moderate_also_end_the_crime_recording_decision(cw, make, trigger, inputs, still_running):
    ref = make.case("admin_review")
    act(cw, make, "admin", ref, trigger, inputs)
    assert running(cw, ref) == still_running


def test_spanning_clocks_keep_running_through_a_request_information_loop(cw, make, clock):
    ref = make.case("crime_bureau_advice")
    first = clocks(cw, ref)
    clock.advance(hours=1)
    act(cw, make, "bureau", ref, "request_information", {"question": "which post?"})
    assert running(cw, ref) == {"review_decision", "crime_recording_decision", "end_to_end"}
    clock.advance(hours=1)
    act(cw, make, "admin", ref, "refer", {**REFER, "answer": "the appeal"})
    runs = clocks(cw, ref)
    assert [r.run for r in runs["review_decision"]] == [1, 2]
    assert runs["review_decision"][1].started_at == clock.now() - timedelta(hours=1)
    assert runs["review_decision"][1].stopped_at == clock.now()
    for spanning in ("crime_recording_decision", "end_to_end"):
        assert runs[spanning] == first[spanning]  # the same run, same start and deadline, still running


def test_a_threat_to_life_referral_runs_a_one_hour_advice_clock_and_escalates_at_once(cw, make, clock):
    published = Published(cw)
    ref = make.case("admin_review")
    started = clocks(cw, ref)["crime_recording_decision"][0].started_at
    clock.advance(minutes=10)
    act(cw, make, "admin", ref, "refer", {**REFER, "threat_to_life": "yes"})
    crime = clocks(cw, ref)["crime_recording_decision"][0]
    assert crime.due_at == started + timedelta(minutes=70)
    assert crime.warn_at == started + timedelta(minutes=55)
    [escalated] = published.kinds("escalated")
    assert escalated.actor.username == "system:sla" and escalated.at == clock.now()
    assert escalated.inputs["reason"] == "threat_to_life"
    assert [e.action for e in sla_events(cw, ref, actions=("escalated",))] == ["escalated"]
    clock.advance(minutes=61)
    assert [m.clock for m in sweep(cw).breaches] == ["crime_recording_decision"]


def test_a_threat_to_life_referral_two_hours_after_detection_is_due_an_hour_after_the_referral(cw, make, clock):
    ref = make.case("admin_review")  # detected 09:00
    clock.advance(hours=2)
    act(cw, make, "admin", ref, "refer", {**REFER, "threat_to_life": "yes"})  # 11:00
    crime = clocks(cw, ref)["crime_recording_decision"][0]
    assert (crime.warn_at, crime.due_at) == (clock.now() + timedelta(minutes=45), clock.now() + timedelta(hours=1))
    assert crime.status(clock.now()) != "breached"
    assert sweep(cw).breaches == []


def test_a_threat_to_life_referral_late_in_the_day_keeps_the_sooner_24_hour_deadline(cw, make, clock):
    ref = make.case("admin_review")
    started = clocks(cw, ref)["crime_recording_decision"][0].started_at
    clock.advance(hours=23, minutes=30)
    act(cw, make, "admin", ref, "refer", {**REFER, "threat_to_life": "yes"})
    crime = clocks(cw, ref)["crime_recording_decision"][0]
    assert (crime.warn_at, crime.due_at) == (started + timedelta(hours=18), started + timedelta(hours=24))


def test_a_second_threat_to_life_referral_never_moves_the_deadline_later(cw, make, clock):
    ref = make.case("admin_review")
    clock.advance(minutes=30)
    act(cw, make, "admin", ref, "refer", {**REFER, "threat_to_life": "yes"})
    first = clocks(cw, ref)["crime_recording_decision"][0].due_at
    act(cw, make, "bureau", ref, "request_information", {"question": "Which post?"})
    clock.advance(minutes=20)
    act(cw, make, "admin", ref, "refer", {**REFER, "threat_to_life": "yes", "answer": "The appeal."})
    assert clocks(cw, ref)["crime_recording_decision"][0].due_at == first


def test_without_threat_to_life_the_crime_recording_clock_keeps_24_hours(cw, make, clock):
    published = Published(cw)
    ref = make.case("crime_bureau_advice")
    crime = clocks(cw, ref)["crime_recording_decision"][0]
    assert crime.due_at - crime.started_at == timedelta(hours=24)
    assert published.kinds("escalated") == []


def test_reopening_starts_new_runs_and_keeps_the_first_results(cw, make, clock):
    ref = make.case("closed")
    supervisor = make.user("wk.super", ["supervisor"])
    clock.advance(days=1)
    actions.apply_trigger(cw, supervisor, ref, "reopen", {"reason": "new evidence"})
    runs = clocks(cw, ref)
    assert running(cw, ref) == {"review_decision", "crime_recording_decision", "end_to_end"}
    for name in ("crime_recording_decision", "end_to_end"):
        assert [r.run for r in runs[name]] == [1, 2]
        assert runs[name][0].status(clock.now()) == "met"
        assert runs[name][1].due_at - runs[name][1].started_at == runs[name][0].due_at - runs[name][0].started_at


def test_a_clock_stopped_after_its_deadline_records_its_warning_and_breach_at_their_true_times(cw, make, clock):
    ref = make.case()
    due = clocks(cw, ref)["review_started"][0].due_at
    clock.advance(hours=3)  # no sweep ran meanwhile
    act(cw, make, "admin", ref, "start_review")
    events = sla_events(cw, ref)
    assert [(e.action, e.at, e.data["noticed"]) for e in events] == [
        ("sla_warning", due - timedelta(minutes=15), "stop"),
        ("sla_breach", due, "stop"),
    ]
    assert clocks(cw, ref)["review_started"][0].status(clock.now()) == "breached"
    assert all(m.clock != "review_started" for m in sweep(cw).marks)  # recorded once, at the stop


def test_clock_changes_roll_back_with_a_transition_that_fails(cw, make, clock):
    ref = make.case()
    before = clocks(cw, ref)

    def fails_after_the_clocks(uow, change, cw):
        raise RuntimeError("outbox unavailable")

    cw.handlers.append(fails_after_the_clocks)
    with pytest.raises(RuntimeError):
        act(cw, make, "admin", ref, "start_review")
    assert clocks(cw, ref) == before


def test_per_force_targets_apply_to_that_forces_cases(database_url, clock):
    forces = dict(DEFAULT_FORCES)
    forces["west_mercia"] = replace(forces["west_mercia"], extra={"sla": {"end_to_end": {"target_hours": 72}}})
    cw = bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=database_url, forces=forces), clock=clock)
    make = Factory(cw)
    wk, wm = make.case(force="warwickshire"), make.case(force="west_mercia")
    assert clocks(cw, wk)["end_to_end"][0].due_at == clock.now() + timedelta(days=5)
    assert clocks(cw, wm)["end_to_end"][0].due_at == clock.now() + timedelta(hours=72)
    cw.engine.dispose()
