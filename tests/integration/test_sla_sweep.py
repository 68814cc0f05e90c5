"""The sweep records each warning and breach exactly once, at the time it really happened."""

import threading
from datetime import timedelta

from sqlalchemy import select, text

from casework.audit import verify as audit
from casework.cases import actions, stats
from casework.sla import queries
from casework.sla.sweep import SWEEP_LOCK, sweep
from casework.storage.tables import Case
from tests.integration.sla_helpers import POSTGRES_ONLY, Published, clocks, sla_events


def test_an_empty_sweep_records_nothing(cw, make, clock):
    make.case()
    result = sweep(cw)
    assert (result.marks, result.skipped) == ([], False)


def test_a_warning_at_75_percent_then_a_breach_each_recorded_once_by_the_system(cw, make, clock):
    published = Published(cw)
    ref = make.case()
    start = clock.now()
    clock.advance(minutes=50)
    assert [(m.kind, m.clock, m.at) for m in sweep(cw).marks] == [
        ("sla_warning", "review_started", start + timedelta(minutes=45))
    ]
    assert sweep(cw).marks == []
    clock.advance(minutes=15)
    assert [(m.kind, m.at) for m in sweep(cw).marks] == [("sla_breach", start + timedelta(hours=1))]
    events = sla_events(cw, ref)
    assert [(e.action, e.actor, e.role, e.at) for e in events] == [
        ("sla_warning", "system:sla", "system", start + timedelta(minutes=45)),
        ("sla_breach", "system:sla", "system", start + timedelta(hours=1)),
    ]
    assert events[1].data["recorded_at"] == clock.now().isoformat()
    [warning, breach] = published.kinds("sla_warning", "sla_breach")
    assert warning.inputs == {
        "clock": "review_started",
        "due_at": (start + timedelta(hours=1)).isoformat(),
        "breached": False,
        "noticed": "sweep",
        "stage": "detected",
        "assignee_id": None,
    }
    assert (breach.kind, breach.inputs["breached"], breach.actor.username) == ("sla_breach", True, "system:sla")
    assert clocks(cw, ref)["review_started"][0].status(clock.now()) == "overdue"


def test_catch_up_after_a_two_day_outage_records_each_at_its_true_time_once(cw, make, clock):
    refs = []
    for _ in range(3):
        refs.append(make.case("crime_bureau_advice"))
        clock.advance(hours=5)
    due = {ref: clocks(cw, ref) for ref in refs}
    clock.advance(days=2)  # the scheduler was down
    result = sweep(cw, batch=2)  # small batches: catching up commits as it goes
    assert sweep(cw).marks == []
    expected = sorted(
        (v.warn_at, "sla_warning", ref, name)
        for ref in refs
        for name, runs in due[ref].items()
        for v in runs
        if v.stopped_at is None and v.warn_at <= clock.now()
    )
    expected += [
        (v.due_at, "sla_breach", ref, name)
        for ref in refs
        for name, runs in due[ref].items()
        for v in runs
        if v.stopped_at is None and v.due_at <= clock.now()
    ]
    recorded = [(e.at, e.action, ref, e.data["clock"]) for ref in refs for e in sla_events(cw, ref)]
    assert sorted(recorded) == sorted(expected)
    assert len(result.marks) == len(expected) == 6  # each case: crime-recording warning and breach
    with cw.reader() as uow:
        assert audit.verify(uow.session).ok


def test_sweeping_twice_records_nothing_twice(cw, make, clock):
    for _ in range(5):
        make.case()
    clock.advance(days=6)
    first, second = sweep(cw), sweep(cw)
    assert len(first.marks) == 5 * 3 * 2 and second.marks == []
    assert len(sla_events(cw)) == 30


@POSTGRES_ONLY
def test_a_sweep_skips_while_another_process_holds_the_sweep_lock(cw, make, clock):
    make.case()
    clock.advance(hours=2)
    with cw.engine.connect() as other, other.begin():
        assert other.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SWEEP_LOCK}).scalar_one()
        held = sweep(cw)
    assert held.skipped and held.marks == []
    assert len(sweep(cw).marks) == 2  # the lock went with the other transaction


@POSTGRES_ONLY
def test_parallel_sweeps_on_postgresql_record_each_mark_once(cw, make, clock):
    for _ in range(40):
        make.case()
    clock.advance(days=6)
    results, barrier = [], threading.Barrier(4)

    def sweeper():
        barrier.wait()
        while True:
            result = sweep(cw, batch=7)
            results.append(result)
            if not result.skipped:
                return

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    marks = [(m.clock_id, m.kind) for r in results for m in r.marks]
    assert len(marks) == len(set(marks)) == 40 * 3 * 2
    assert len(sla_events(cw)) == 240


def test_compliance_counts_met_breached_and_running_clocks_per_force_and_clock(cw, make, clock):
    on_time = make.case()
    clock.advance(minutes=30)
    make.case(force="west_mercia")
    actions.apply_trigger(cw, make.staff("admin"), on_time, "start_review", {})
    late = make.case()
    clock.advance(hours=2)
    actions.apply_trigger(cw, make.staff("admin"), late, "start_review", {})
    rows = {(c.force, c.clock): c for c in stats.compliance(cw, cw.settings.forces, clock.now())}
    started = rows[("warwickshire", "review_started")]
    assert (started.met, started.breached, started.running, started.rate) == (1, 1, 0, 0.5)
    wm = rows[("west_mercia", "review_started")]
    assert (wm.running, wm.overdue, wm.rate) == (1, 1, None)


def test_queue_helpers_give_each_case_its_soonest_running_deadline_in_words(cw, make, clock):
    ref = make.case()
    clock.advance(minutes=50)
    view = queries.next_due(cw, [clocks(cw, ref)["review_started"][0].case_id])
    [(case_id, soonest)] = view.items()
    assert (soonest.name, soonest.status(clock.now()), soonest.words(clock.now())) == (
        "review_started",
        "warning",
        "due in 10 min",
    )
    clock.advance(hours=1, minutes=25)
    assert soonest.words(clock.now()) == "overdue by 1 h 15 min"
    assert [v.reference for v in queries.open_clocks(cw, {"warwickshire"}, 1)] == [ref]


def test_the_queue_can_be_ordered_by_each_cases_soonest_running_deadline(cw, make, clock):
    later = make.case("crime_bureau_advice")  # crime recording: 24 h
    sooner = make.case()  # review started: 1 h
    done = make.case("closed")  # no running clock: last
    with cw.reader() as uow:
        order = list(uow.session.execute(select(Case.reference).order_by(queries.due_order(), Case.id)).scalars())
    assert order == [sooner, later, done]
