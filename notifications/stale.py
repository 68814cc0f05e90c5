"""Warnings that came too late: a "due soon" whose deadline has passed by the time it is dispatched
(after a restart, or held back by quiet hours) is dropped, since the breach notice says more."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from casework.clock import UTC
from casework.notify.outbox import ACTOR
from casework.notify.tables import Notification
from casework.runtime import Casework
from casework.storage.tables import Case, User

DUE = ("pending", "failed")
REASON = "the deadline had already passed when it was dispatched; the breach notice supersedes it"


def _deadline(payload: dict[str, Any]) -> datetime | None:
    try:
        due = datetime.fromisoformat(str(payload.get("due_at") or ""))
    except ValueError:
        return None
    return due if due.tzinfo else due.replace(tzinfo=UTC)


def drop_stale_warnings(cw: Casework, limit: int = 500) -> int:
    """Mark due warnings past their deadline as dropped, one audit event each; returns how many."""
    now = cw.now()
    with cw.uow() as uow:
        rows = uow.session.execute(
            select(Notification, col(Case.state), col(User.username))
            .join(Case, col(Case.id) == Notification.case_id)
            .outerjoin(User, col(User.id) == Notification.recipient_id)
            .where(
                col(Notification.kind) == "sla_warning",
                col(Notification.status).in_(DUE),
                col(Notification.next_attempt_at) <= now,
            )
            .order_by(col(Notification.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=Notification)
        ).all()
        stale = [(n, state, who) for n, state, who in rows if (due := _deadline(n.payload)) and due <= now]
        if not stale:
            return 0
        uow.session.execute(
            update(Notification)
            .where(col(Notification.id).in_([n.id for n, _, _ in stale]), col(Notification.status).in_(DUE))
            .values(status="dropped", last_error=REASON)
        )
        for n, state, who in stale:
            uow.record(
                "notification_dropped",
                at=now,
                actor=ACTOR,
                role="system",
                case=n.case_id,
                from_state=state,
                to_state=state,
                data={
                    "notification": n.id,
                    "delivery_id": n.delivery_id,
                    "kind": n.kind,
                    "channel": n.channel,
                    "to": who or f"endpoint {n.endpoint_id}",
                    "dropped_because": REASON,
                },
            )
        uow.commit()
        return len(stale)
