"""Marking deliveries: sent ones in groups (one transaction, one audit event each), failures one by one.

A group the database refuses is marked again row by row, so one bad row costs only itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, update
from sqlmodel import col

from casework.clock import ensure_utc
from casework.notify.outbox import ACTOR
from casework.notify.tables import Notification
from casework.runtime import Casework
from notifications.channels import PermanentFailure
from notifications.claims import DUE
from notifications.config import NotifySettings

log = logging.getLogger("notifications.dispatch")


class Jitter(Protocol):
    """Where back-off jitter comes from: the `random` module, or a seeded `random.Random` in tests."""

    def uniform(self, a: float, b: float) -> float: ...


@dataclass
class Delivery:
    """A claimed notification with what its channel needs, loaded before any network I/O."""

    n: Notification
    state: str
    to: str  # username or endpoint id, for the audit event
    send: Callable[[], None]
    message_id: str | None = None


def event_data(d: Delivery, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "notification": d.n.id,
        "delivery_id": d.n.delivery_id,
        "kind": d.n.kind,
        "channel": d.n.channel,
        "to": d.to,
        "attempt": d.n.attempts,
    }
    if d.message_id:
        data["message_id"] = d.message_id
    return {**data, **extra}


def mark_sent(cw: Casework, deliveries: list[Delivery]) -> None:
    """Mark a group sent in one transaction; rows another dispatcher already marked are left alone."""
    now = cw.now()
    by_id = {d.n.id: d for d in deliveries}
    with cw.uow() as uow:
        done = uow.session.execute(
            update(Notification)
            .where(col(Notification.id).in_(list(by_id)), col(Notification.status).in_(DUE))
            .values(status="sent", sent_at=now, last_error=None)
            .returning(col(Notification.id))
        ).scalars()
        for d in sorted((by_id[i] for i in done), key=lambda d: cast(int, d.n.id)):
            uow.record(
                "notification_sent",
                at=now,
                actor=ACTOR,
                role="system",
                case=d.n.case_id,
                from_state=d.state,
                to_state=d.state,
                data=event_data(d),
            )
        uow.commit()


def mark_failed(cw: Casework, d: Delivery, exc: Exception, settings: NotifySettings, rng: Jitter) -> str:
    """Record the failure; a retry later with back-off, or a dead letter when it cannot or may not retry."""
    now, attempt = cw.now(), d.n.attempts
    # Both the attempts and the age: a day-long SMTP outage must not turn every queued e-mail into a dead letter.
    old_enough = now - ensure_utc(d.n.created_at) >= timedelta(hours=settings.dead_after_hours)
    dead = isinstance(exc, PermanentFailure) or (attempt >= settings.max_attempts and old_enough)
    retry_at = now if dead else now + backoff(attempt, settings, rng)
    error = f"{type(exc).__name__}: {exc}"[:500]
    log.warning("notification %s attempt %s failed: %s", d.n.id, attempt, error)
    with cw.uow() as uow:
        done = _rowcount(
            uow.session.execute(
                update(Notification)
                .where(col(Notification.id) == d.n.id, col(Notification.status).in_(DUE))
                .values(status="dead" if dead else "failed", next_attempt_at=retry_at, last_error=error)
            )
        )
        if done:
            uow.record(
                "notification_dead" if dead else "notification_failed",
                at=now,
                actor=ACTOR,
                role="system",
                case=d.n.case_id,
                from_state=d.state,
                to_state=d.state,
                data=event_data(d, error=error[:300], retry_at=None if dead else retry_at.isoformat()),
            )
        uow.commit()
    return "dead" if dead else "failed"


def _rowcount(result: object) -> int:
    """Rows an UPDATE matched: Session.execute is typed as a plain Result, but an UPDATE gives a CursorResult."""
    return cast(CursorResult[Any], result).rowcount


def backoff(attempt: int, settings: NotifySettings, rng: Jitter) -> timedelta:
    """Exponential back-off with jitter: between half and all of base·2^(attempt-1), capped."""
    ceiling = min(settings.backoff_cap, settings.backoff_base * 2 ** (attempt - 1))
    return timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))
