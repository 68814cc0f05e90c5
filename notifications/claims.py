"""Claiming due rows: most urgent first, hidden from other dispatchers by a lease that is renewed.

SKIP LOCKED keeps two dispatchers from claiming the same row at once; the lease (next_attempt_at moved
ahead) keeps it hidden while it is being sent. A dispatcher that dies leaves its rows to come back when
the lease runs out: a short lease, renewed while a long batch is still being sent, means a short wait.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, select, update
from sqlmodel import col

from casework.notify.tables import Notification
from casework.runtime import Casework
from notifications.config import NotifySettings

DUE = ("pending", "failed")
# Threat to life and breaches first, then referrals, then the rest, routine warnings last.
PRIORITY = case(
    (col(Notification.kind).in_(("threat_to_life", "sla_breach")), 0),
    (col(Notification.kind) == "referral", 1),
    (col(Notification.kind) == "sla_warning", 3),
    else_=2,
)


def claim(cw: Casework, limit: int, settings: NotifySettings) -> list[int]:
    """Take up to `limit` due outgoing rows, most urgent and then oldest first, and lease them."""
    now = cw.now()
    with cw.uow() as uow:
        ids = list(
            uow.session.execute(
                select(col(Notification.id))
                .where(
                    col(Notification.status).in_(DUE),
                    col(Notification.channel) != "inbox",
                    col(Notification.next_attempt_at) <= now,
                )
                .order_by(PRIORITY, col(Notification.next_attempt_at), col(Notification.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if ids:
            uow.session.execute(
                update(Notification)
                .where(col(Notification.id).in_(ids))
                .values(
                    attempts=col(Notification.attempts) + 1, next_attempt_at=now + timedelta(seconds=settings.lease)
                )
            )
        uow.commit()
    return ids


def renew(cw: Casework, ids: list[int], settings: NotifySettings) -> None:
    """Extend the lease of rows still waiting in this batch (not those already marked)."""
    if not ids:
        return
    with cw.uow() as uow:
        uow.session.execute(
            update(Notification)
            .where(col(Notification.id).in_(ids), col(Notification.status).in_(DUE))
            .values(next_attempt_at=cw.now() + timedelta(seconds=settings.lease))
        )
        uow.commit()
