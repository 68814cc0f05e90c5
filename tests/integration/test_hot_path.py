"""The hot path: what an action reads and writes, and the recipients cache every process keeps current."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from casework.access import users
from casework.access.lifecycle import deactivate, update_membership
from casework.bootstrap import bootstrap
from casework.cases import rows as case_rows
from casework.cases.actions import apply_trigger
from casework.intake import flags as intake
from casework.notify.endpoints import add_webhook, set_webhook_active
from casework.notify.preferences import set_preference
from casework.sla.sweep import sweep
from tests.factories import ADVICE, CLOSE, REFER
from tests.integration.sla_helpers import clocks
from tests.notify_support import recipients, rows


@contextmanager
def statements(cw):
    """Every SQL statement the runtime's engine sends while the block runs."""
    seen: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(cw.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(cw.engine, "before_cursor_execute", count)


def _reading(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and f"FROM {table}" in s]


@pytest.fixture
def team(staff):
    return {
        name: staff.add(name, *roles)
        for name, roles in [("ann", ["channel_admin"]), ("ben", ["crime_bureau"]), ("cat", ["comms"])]
    }


def referred(cw, make, team) -> str:
    ref = intake.flag_comment(cw, team["ann"], make.flag_payload()).case.reference
    apply_trigger(cw, team["ann"], ref, "start_review")
    apply_trigger(cw, team["ann"], ref, "refer", REFER)
    return ref


def test_staff_preferences_and_endpoints_are_read_once_not_on_every_notifying_action(cw, make, team):
    referred(cw, make, team)
    ref = intake.flag_comment(cw, team["ann"], make.flag_payload()).case.reference
    apply_trigger(cw, team["ann"], ref, "start_review")
    with statements(cw) as seen:
        apply_trigger(cw, team["ann"], ref, "refer", REFER)
    for table in ("users", "notification_preferences", "webhook_endpoints"):
        assert _reading(seen, table) == [], table
    assert recipients(cw, case_id=_case_id(cw, ref)) == {"ben": "referral", "cat": "referral"}


def _case_id(cw, ref):
    return next(r.case_id for r in rows(cw) if r.payload["reference"] == ref)


def test_an_action_reads_no_clock_rows_it_can_derive_and_writes_each_table_in_one_statement(cw, make, team):
    ref = intake.flag_comment(cw, team["ann"], make.flag_payload()).case.reference
    for who, trigger, inputs in [
        ("ann", "start_review", {}),
        ("ann", "refer", REFER),
        ("ben", "give_advice", ADVICE),
        ("cat", "close", CLOSE),
    ]:
        with statements(cw) as seen:
            apply_trigger(cw, team[who], ref, trigger, inputs)
        assert _reading(seen, "sla_clocks") == [], trigger  # the tallies take the runs moved from the keeper
        assert sum(s.startswith("INSERT INTO notifications") for s in seen) <= 1
        assert sum(s.startswith("INSERT INTO sla_clocks") for s in seen) <= 1
        assert _reading(seen, "case_retention") == [], trigger  # closure sets the review date in one upsert


def test_a_step_updates_only_the_case_columns_it_changes(cw, make, team, clock):
    # SQLite rewrites the entries of every index on a column an UPDATE sets, changed or not.
    ref = intake.flag_comment(cw, team["ann"], make.flag_payload()).case.reference
    clock.advance(minutes=1)
    with statements(cw) as seen:
        apply_trigger(cw, team["ann"], ref, "start_review")
    (update,) = [s for s in seen if s.startswith("UPDATE cases SET")]
    assert update.split(" WHERE ")[0].replace("%s", "?") == (
        "UPDATE cases SET version = ?, state = ?, assignee_id = ?, updated_at = ?"
    )
    apply_trigger(cw, team["ann"], ref, "refer", REFER)
    with cw.uow() as uow:
        case = case_rows.load(uow.driver, ref)
    assert (case.state, case.version, case.threat_to_life, case.referrer_ids) == (
        "crime_bureau_advice",
        3,
        False,
        [team["ann"].id],
    )


def test_a_change_of_staff_preferences_or_endpoints_in_another_process_reaches_the_next_action(
    cw, make, team, database_url, clock
):
    other = bootstrap(cw.settings, clock=clock)  # another worker on the same database
    try:
        referred(cw, make, team)  # this runtime has now read the recipients
        users.add_user(other, "dan", roles=["crime_bureau"], forces=["warwickshire"], email="dan@police.example")
        set_preference(other, "cat", "referral", email=False, inbox=False)
        endpoint = add_webhook(other, "warwickshire", "crime_bureau", "https://hooks.example/bureau")
        first = referred(cw, make, team)
        assert recipients(cw, case_id=_case_id(cw, first)) == {"ben": "referral", "dan": "referral"}
        assert [r.endpoint_id for r in rows(cw, channel="webhook", case_id=_case_id(cw, first))] == [endpoint.id]

        deactivate(other, "dan")
        update_membership(other, "ben", roles=["comms"])
        set_preference(other, "cat", "referral", email=True, inbox=True)
        set_webhook_active(other, endpoint.id, False)
        second = referred(cw, make, team)
        assert recipients(cw, case_id=_case_id(cw, second)) == {"ben": "referral", "cat": "referral"}
        assert rows(cw, channel="webhook", case_id=_case_id(cw, second)) == []
    finally:
        other.engine.dispose()


def test_a_restored_database_whose_history_reaches_the_cached_version_again_is_still_read_afresh(cw, make, team, clock):
    """A restore brings back an older version with older rows; changes after it must not land on the
    version this process cached from the history the restore undid (a counter would come back to it)."""
    other = bootstrap(cw.settings, clock=clock)  # another worker, or the operator's tools
    try:
        referred(cw, make, team)
        backed_up = _recipients_version(other)  # the backup is taken here: no endpoints yet
        undone = add_webhook(other, "warwickshire", "crime_bureau", "https://hooks.example/undone")
        first = referred(cw, make, team)  # this runtime now holds the snapshot with `undone`
        assert [r.endpoint_id for r in rows(cw, channel="webhook", case_id=_case_id(cw, first))] == [undone.id]

        set_webhook_active(other, undone.id, False)  # the restored rows: `undone` is not there
        with other.engine.begin() as connection:  # ... and the backup's version
            connection.execute(text("UPDATE recipients_version SET version = :v WHERE id = 1"), {"v": backed_up})
        after = add_webhook(other, "warwickshire", "crime_bureau", "https://hooks.example/after-restore")
        second = referred(cw, make, team)
        assert [r.endpoint_id for r in rows(cw, channel="webhook", case_id=_case_id(cw, second))] == [after.id]
    finally:
        other.engine.dispose()


def _recipients_version(cw):
    with cw.engine.connect() as connection:
        return connection.execute(text("SELECT version FROM recipients_version WHERE id = 1")).scalar_one()


def test_a_referral_without_threat_to_life_after_one_with_still_restores_the_ordinary_deadline(cw, make, team, clock):
    ref = intake.flag_comment(cw, team["ann"], make.flag_payload()).case.reference
    detected = clock.now()
    apply_trigger(cw, team["ann"], ref, "start_review")
    clock.advance(minutes=30)
    apply_trigger(cw, team["ann"], ref, "refer", {**REFER, "threat_to_life": "yes"})
    assert clocks(cw, ref)["crime_recording_decision"][0].due_at == clock.now() + timedelta(hours=1)
    apply_trigger(cw, team["ben"], ref, "request_information", {"question": "Which post?"})
    apply_trigger(cw, team["ann"], ref, "refer", {**REFER, "answer": "The appeal."})
    assert clocks(cw, ref)["crime_recording_decision"][0].due_at == detected + timedelta(hours=24)


def _sweep_statements(cw, make, clock, cases: int) -> list[str]:
    """What one sweep sends when `cases` new cases each have a warning and a breach due."""
    clock.advance(days=90)
    sweep(cw)  # the cases before these have nothing left due
    for _ in range(cases):
        make.case()
    clock.advance(hours=2)
    with statements(cw) as seen:
        marks = sweep(cw).marks
    assert len(marks) == 2 * cases
    return seen


def test_a_sweep_sends_as_many_statements_for_many_marks_as_for_a_few(cw, make, clock):
    _sweep_statements(cw, make, clock, 1)  # the process's recipients snapshot, read once
    few = _sweep_statements(cw, make, clock, 2)
    many = _sweep_statements(cw, make, clock, 8)
    assert len(many) == len(few), "\n".join(s for s in many if many.count(s) > few.count(s))
