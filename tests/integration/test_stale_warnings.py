"""A "due soon" warning whose deadline has passed by the time it is dispatched is dropped, with an audit
event, so nobody gets a warning and a breach for the same clock together (after a restart, say)."""

from sqlmodel import select

from casework.sla.sweep import sweep
from casework.storage.tables import CaseEvent
from notifications.dispatch import dispatch_pending
from tests.notify_support import rows


def _events(cw, action):
    with cw.reader() as uow:
        return list(uow.session.exec(select(CaseEvent).where(CaseEvent.action == action)).all())


def test_a_warning_past_its_deadline_is_dropped_and_the_breach_is_delivered(cw, make, staff, clock, smtp_server):
    staff.add("ann", "channel_admin")
    make.case("detected")
    clock.advance(hours=3)  # the scheduler was down: the 1-hour review-started clock warned and breached meanwhile
    sweep(cw)
    assert {r.kind for r in rows(cw, channel="inbox")} == {"sla_warning", "sla_breach"}
    report = dispatch_pending(cw, settings=smtp_server.settings())
    warnings, breaches = rows(cw, kind="sla_warning"), rows(cw, kind="sla_breach")
    assert warnings and {w.status for w in warnings} == {"dropped"}
    assert breaches and {b.status for b in breaches} == {"sent"}
    assert report.dropped == len(warnings)
    assert {m["Subject"].strip().split("] ", 1)[1].split(":")[0] for _, m in smtp_server.messages} == {
        "BREACH WK-2026-000001"
    }
    dropped = _events(cw, "notification_dropped")
    assert len(dropped) == len(warnings) and dropped[0].data["kind"] == "sla_warning"
    assert "deadline had already passed" in dropped[0].data["dropped_because"]


def test_a_warning_still_ahead_of_its_deadline_is_delivered(cw, make, staff, clock, smtp_server):
    staff.add("ann", "channel_admin")
    make.case("detected")
    clock.advance(minutes=50)  # past 75 % of the hour, before the deadline
    sweep(cw)
    dispatch_pending(cw, settings=smtp_server.settings())
    assert {w.status for w in rows(cw, kind="sla_warning")} == {"sent"} and _events(cw, "notification_dropped") == []
