"""The in-app inbox: nothing leaves the database, so a due row is delivered (and audited) at once."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import col

from casework.notify.outbox import ACTOR
from casework.notify.tables import Notification
from casework.runtime import Casework
from casework.storage.tables import Case, User


def deliver_due(cw: Casework, limit: int) -> int:
    """Mark due inbox rows delivered in one short transaction, one audit event each."""
    now = cw.now()
    with cw.uow() as uow:
        rows = uow.session.execute(
            select(
                col(Notification.id),
                col(Notification.case_id),
                col(Notification.kind),
                col(Notification.delivery_id),
                col(User.username),
                col(Case.state),
            )
            .join(User, col(User.id) == Notification.recipient_id)
            .join(Case, col(Case.id) == Notification.case_id)
            .where(
                col(Notification.channel) == "inbox",
                col(Notification.status) == "pending",
                col(Notification.next_attempt_at) <= now,
            )
            .order_by(col(Notification.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=Notification)
        ).all()
        if not rows:
            return 0
        uow.session.execute(
            update(Notification)
            .where(col(Notification.id).in_([r.id for r in rows]))
            .values(status="sent", sent_at=now, attempts=col(Notification.attempts) + 1)
        )
        for row in rows:
            uow.record(
                "notification_sent",
                at=now,
                actor=ACTOR,
                role="system",
                case=row.case_id,
                from_state=row.state,
                to_state=row.state,
                data={
                    "notification": row.id,
                    "delivery_id": row.delivery_id,
                    "kind": row.kind,
                    "channel": "inbox",
                    "to": row.username,
                    "attempt": 1,
                },
            )
        uow.commit()
        return len(rows)
