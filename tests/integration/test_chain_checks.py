"""Verifying the chain is a recorded act: each run, ok or broken, leaves an `audit_verified` event."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from casework.audit import checks as chain_checks
from casework.entrypoints import scheduler as sched
from casework.errors import PermissionDenied
from tests.integration.sla_helpers import POSTGRES_ONLY
from tests.tampering import raw, verify


def test_a_verification_records_who_when_and_the_result(cw, make, clock):
    make.case("closed")
    auditor = make.staff("auditor")
    before = verify(cw)
    result = chain_checks.verify_and_record(cw, auditor, "web")
    assert result.ok and result.count == before.count
    [check] = chain_checks.recent(cw)
    assert (check.ok, check.by, check.via, check.at) == (True, "wa.auditor", "web", clock.now())
    assert (check.event_count, check.head_hash, check.first_bad_seq) == (before.count, before.head_hash, None)
    assert check.seq == before.count + 1
    assert verify(cw).ok  # the record is itself a chained event


def test_a_broken_chain_is_recorded_as_broken_with_the_first_bad_seq(cw, make):
    for state in ("closed", "admin_review"):
        make.case(state)
    raw(cw, "UPDATE case_events SET actor = 'mallory' WHERE seq = 3")
    result = chain_checks.verify_and_record(cw, make.staff("supervisor"), "web")
    assert not result.ok
    [check] = chain_checks.recent(cw)
    assert (check.ok, check.first_bad_seq, check.event_count) == (False, 3, 2)
    assert "hash does not match" in check.problem


def test_only_auditors_supervisors_and_the_system_may_verify(cw, make):
    with pytest.raises(PermissionDenied):
        chain_checks.verify_and_record(cw, make.staff("admin"), "web")
    assert chain_checks.recent(cw) == []
    chain_checks.scheduled_verify(cw)
    [check] = chain_checks.recent(cw)
    assert (check.by, check.via, check.ok) == ("system:audit", "scheduler", True)


def test_recent_lists_newest_first_and_a_day_old_result_is_stale(cw, make, clock):
    auditor = make.staff("auditor")
    chain_checks.verify_and_record(cw, auditor, "web")
    clock.advance(hours=3)
    assert chain_checks.scheduled_verify(cw).ok
    newest, older = chain_checks.recent(cw)
    assert (newest.via, older.via) == ("scheduler", "web")
    assert newest.event_count == older.event_count + 1
    assert newest.age(clock.now()) == timedelta(0) and not newest.stale(clock.now())
    clock.advance(hours=27)
    assert newest.stale(clock.now())


def test_the_daily_job_runs_at_half_past_two_utc(cw):
    [job] = [j for j in sched.build_scheduler(cw, blocking=True, env={}).get_jobs() if j.id == "audit.verify"]
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"], str(job.trigger.timezone)) == ("2", "30", "UTC")
    assert job.args[0] == "casework.audit.checks:scheduled_verify"
    sched._call(job.args[0], cw)
    assert chain_checks.recent(cw)[0].by == "system:audit"


def test_a_second_scheduler_in_the_same_hour_skips_the_walk(cw, clock):
    assert chain_checks.scheduled_verify(cw).ok
    clock.advance(minutes=59)
    assert chain_checks.scheduled_verify(cw) is None
    clock.advance(minutes=2)
    assert chain_checks.scheduled_verify(cw).ok
    assert [c.via for c in chain_checks.recent(cw)] == ["scheduler", "scheduler"]


@POSTGRES_ONLY
def test_a_scheduler_skips_while_another_process_holds_the_verify_lock(cw):
    with cw.engine.connect() as other, other.begin():
        lock = text("SELECT pg_try_advisory_xact_lock(:k)")
        assert other.execute(lock, {"k": chain_checks.LOCK_KEY}).scalar_one()
        assert chain_checks.scheduled_verify(cw) is None
    assert chain_checks.scheduled_verify(cw).ok  # the lock went with the other transaction
    assert len(chain_checks.recent(cw)) == 1
