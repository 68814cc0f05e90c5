"""Dispatch keeps up: one pass drains the queue, urgent mail goes first, leases are short and renewed,
a database error on one row does not end the pass, and dead letters are retried in bulk."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, text

from casework.entrypoints.cli import main
from casework.notify.tables import Notification
from notifications.claims import claim, renew
from notifications.dispatch import dispatch_pending
from tests.integration.test_dispatch_robustness import refer_cases
from tests.notify_support import rows


def queue_rows(cw, case_id: int, kinds: list[str], *, status: str = "pending", created_at=None) -> list[int]:
    """Outbox rows of the given kinds, oldest first, all due now (for the claim, which renders nothing)."""
    now = cw.now()
    with cw.engine.begin() as connection:
        for n, kind in enumerate(kinds):
            connection.execute(
                insert(Notification).values(
                    delivery_id=uuid.uuid4().hex,
                    kind=kind,
                    case_id=case_id,
                    channel="webhook",
                    subject=kind,
                    payload={},
                    status=status,
                    attempts=0,
                    next_attempt_at=now - timedelta(minutes=len(kinds) - n),
                    created_at=created_at or now - timedelta(minutes=len(kinds) - n),
                )
            )
    return [r.id for r in rows(cw, status=status)]


def case_id(cw, make) -> int:
    ref = make.case()
    with cw.engine.connect() as connection:
        return connection.execute(text("SELECT id FROM cases WHERE reference = :r"), {"r": ref}).scalar_one()


def test_one_pass_drains_the_whole_due_queue_in_batches(cw, make, staff, smtp_server):
    refer_cases(cw, make, staff, 10)  # 20 e-mails
    report = dispatch_pending(cw, limit=3, settings=smtp_server.settings())
    assert (report.claimed, report.sent) == (20, 20)
    assert len(smtp_server.messages) == 20
    assert {r.status for r in rows(cw, channel="email")} == {"sent"}


def test_threat_to_life_and_breaches_are_claimed_first_then_referrals_then_warnings(cw, make, smtp_server):
    kinds = ["sla_warning"] * 4 + ["closed", "referral", "sla_breach", "sla_warning", "threat_to_life"]
    queue_rows(cw, case_id(cw, make), kinds)
    claimed = claim(cw, len(kinds), smtp_server.settings())
    by_id = {r.id: r.kind for r in rows(cw)}
    assert [by_id[i] for i in claimed] == [
        "sla_breach",
        "threat_to_life",
        "referral",
        "closed",
        *["sla_warning"] * 5,
    ]


def test_a_claim_is_leased_for_the_configured_time_and_renewal_extends_only_unmarked_rows(cw, make, smtp_server, clock):
    settings = smtp_server.settings(lease=45)
    first, second = queue_rows(cw, case_id(cw, make), ["referral", "referral"])
    assert claim(cw, 10, settings) == [first, second]
    assert {r.next_attempt_at for r in rows(cw)} == {clock.now() + timedelta(seconds=45)}
    with cw.engine.begin() as connection:
        connection.execute(text("UPDATE notifications SET status = 'sent' WHERE id = :i"), {"i": first})
    clock.advance(seconds=30)
    renew(cw, [first, second], settings)
    leases = {r.id: r.next_attempt_at for r in rows(cw)}
    assert leases[second] == clock.now() + timedelta(seconds=45)
    assert leases[first] == clock.now() - timedelta(seconds=30) + timedelta(seconds=45)


def test_a_database_error_marking_one_row_does_not_end_the_pass(cw, make, staff, smtp_server, without_refusal):
    refer_cases(cw, make, staff, 3)  # 6 e-mails
    victim = rows(cw, channel="email")[0].id
    _refuse_marking(cw, victim)
    report = dispatch_pending(cw, settings=smtp_server.settings())
    assert (report.sent, report.unmarked) == (5, 1)
    assert len(smtp_server.messages) == 6
    left = {r.id: r.status for r in rows(cw, channel="email")}
    assert left.pop(victim) == "pending"  # claimed: it comes back when its lease runs out
    assert set(left.values()) == {"sent"}


def _refuse_marking(cw, notification_id: int) -> None:
    """A real database error for one row: a trigger that refuses to mark it sent."""
    with cw.engine.begin() as connection:
        if cw.engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE UPDATE OF status ON notifications "
                f"WHEN NEW.id = {notification_id} AND NEW.status = 'sent' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE UPDATE ON notifications FOR EACH ROW "
                f"WHEN (NEW.id = {notification_id} AND NEW.status = 'sent') EXECUTE FUNCTION refuse()"
            )


@pytest.fixture
def without_refusal(cw):
    yield
    with cw.engine.begin() as connection:
        connection.exec_driver_sql(
            "DROP TRIGGER IF EXISTS refuse" + ("" if cw.engine.dialect.name == "sqlite" else " ON notifications")
        )


def test_all_dead_letters_of_a_kind_since_a_time_are_retried_in_one_command(cw, make, clock, database_url):
    case = case_id(cw, make)
    queue_rows(cw, case, ["referral", "sla_warning"], status="dead", created_at=clock.now() - timedelta(days=3))
    queue_rows(cw, case, ["sla_warning", "sla_warning"], status="dead")
    run = CliRunner().invoke
    args = ["--db", database_url, "notifications", "retry", "--all-dead", "--kind", "sla_warning"]
    since = (clock.now() - timedelta(days=1)).isoformat()
    result = run(main, [*args, "--since", since], catch_exceptions=False)
    assert result.exit_code == 0 and "2 dead notifications queued again" in result.output
    assert sorted(r.kind for r in rows(cw, status="dead")) == ["referral", "sla_warning"]
    assert run(main, ["--db", database_url, "notifications", "retry", "--all-dead"]).output.startswith("2 dead")
    assert rows(cw, status="dead") == []
    assert run(main, ["--db", database_url, "notifications", "retry", "--all-dead", "7"]).exit_code == 2
