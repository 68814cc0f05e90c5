"""A run's `alarm_at`: when the sweep next has something to mark on it, kept by every write that moves it."""

from datetime import timedelta

from alembic import command
from sqlalchemy import select, update

from casework.cases import actions
from casework.sla.models import SlaClock
from casework.sla.sweep import forces_due, sweep, sweep_batch
from casework.storage.schema import alembic_config
from casework.storage.tables import table_of
from tests.factories import REFER
from tests.integration.sla_helpers import case_id

_clocks = table_of(SlaClock)


def alarms(cw, reference: str) -> dict[str, object]:
    """The alarm of each clock's latest run on the case."""
    with cw.reader() as uow:
        rows = uow.session.execute(
            select(_clocks.c.name, _clocks.c.alarm_at)
            .where(_clocks.c.case_id == case_id(cw, reference))
            .order_by(_clocks.c.run)
        ).all()
    return dict(rows)


def test_the_alarm_moves_from_the_warning_to_the_deadline_and_goes_once_both_are_marked(cw, make, clock):
    ref = make.case()
    start = clock.now()
    assert alarms(cw, ref)["review_started"] == start + timedelta(minutes=45)  # the warning, at 75 %
    clock.advance(minutes=50)
    sweep(cw)
    assert alarms(cw, ref)["review_started"] == start + timedelta(hours=1)  # warned: the deadline next
    clock.advance(minutes=15)
    sweep(cw)
    assert alarms(cw, ref)["review_started"] is None
    assert forces_due(cw, clock.now() + timedelta(days=365)) == {"warwickshire"}  # the case's later clocks


def test_one_batch_leaves_nothing_due_behind_it(cw, make, clock):
    refs = [make.case() for _ in range(3)]
    clock.advance(hours=2)  # each warning and breach is due
    made, more, _ = sweep_batch(cw, clock.now(), "warwickshire", batch=10)
    assert len(made) == 6 and not more
    assert forces_due(cw, clock.now()) == set()  # the next sweep reads no row
    assert {alarms(cw, ref)["review_started"] for ref in refs} == {None}


def test_a_stopped_run_has_no_alarm_and_a_threat_to_life_referral_brings_the_alarm_forward(cw, make, clock):
    ref = make.case("admin_review")
    assert alarms(cw, ref)["review_started"] is None  # stopped when the review started
    actions.apply_trigger(cw, make.staff("admin"), ref, "refer", {**REFER, "threat_to_life": "yes"})
    referred = clock.now()
    assert alarms(cw, ref)["crime_recording_decision"] == referred + timedelta(minutes=45)  # 75 % of one hour
    clock.advance(minutes=46)
    assert [(m.kind, m.clock) for m in sweep(cw).marks] == [("sla_warning", "crime_recording_decision")]


def test_the_migration_sets_each_runs_alarm_from_its_marks(cw, make, clock):
    warned, breached, stopped = make.case(), make.case(), make.case("admin_review")
    fresh = make.case()
    clock.advance(minutes=50)
    sweep(cw)  # warns the three open review_started runs
    clock.advance(minutes=15)
    with cw.engine.begin() as connection:  # breach one of them
        connection.execute(
            update(_clocks)
            .where(_clocks.c.case_id == case_id(cw, breached), _clocks.c.name == "review_started")
            .values(breached_at=_clocks.c.due_at)
        )
    config = alembic_config()
    with cw.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0020")
        command.upgrade(config, "heads")
    assert alarms(cw, warned)["review_started"] == alarms(cw, fresh)["review_started"]  # both warned: the deadline
    assert alarms(cw, breached)["review_started"] is None
    assert alarms(cw, stopped)["review_started"] is None
    assert [(m.kind, m.case_id) for m in sweep(cw).marks] == [
        ("sla_breach", case_id(cw, warned)),
        ("sla_breach", case_id(cw, fresh)),
    ]
