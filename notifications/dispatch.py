"""Delivering the outbox: claim a batch in a short transaction, send outside it, mark each in another.

A crash after sending and before marking leaves the row claimed; when its lease runs out it is sent
again with the same Message-ID / delivery id. Nothing is lost; a receiver can drop the duplicate.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import orjson
from sqlalchemy import CursorResult, select, update
from sqlmodel import col

from casework.config import DEFAULT_MARKING, ForceConfig
from casework.labels import Labels
from casework.notify.outbox import ACTOR
from casework.notify.tables import Notification, WebhookEndpoint
from casework.runtime import Casework
from casework.storage.tables import Case, Comment, User
from notifications.channels import PermanentFailure, inbox, webhook
from notifications.channels.email import SmtpSender, build_message, message_id
from notifications.config import NotifySettings
from notifications.render import case_url, context, render
from notifications.stale import drop_stale_warnings

log = logging.getLogger(__name__)
DUE = ("pending", "failed")
CRASH_AFTER_SEND = "CASEWORK_NOTIFY_CRASH_AFTER_SEND"  # tests only: die between sending and marking


class Jitter(Protocol):
    """Where back-off jitter comes from: the `random` module, or a seeded `random.Random` in tests."""

    def uniform(self, a: float, b: float) -> float: ...


@dataclass
class DispatchReport:
    inbox: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    dropped: int = 0  # warnings whose deadline had passed before they went out
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"inbox {self.inbox}, claimed {self.claimed}: sent {self.sent}, "
            f"failed {self.failed} (will retry), dead {self.dead}, stale warnings dropped {self.dropped}"
        )


@dataclass
class Delivery:
    """A claimed notification with what its channel needs, loaded before any network I/O."""

    n: Notification
    state: str
    to: str  # username or endpoint id, for the audit event
    send: Callable[[], None]
    message_id: str | None = None


def dispatch_pending(
    cw: Casework, limit: int = 100, *, settings: NotifySettings | None = None, rng: random.Random | None = None
) -> DispatchReport:
    """One pass: deliver due inbox rows, then claim, send and mark up to `limit` outgoing ones."""
    settings = settings or NotifySettings.from_env()
    dropped = drop_stale_warnings(cw, limit)
    report = DispatchReport(inbox=inbox.deliver_due(cw, limit), dropped=dropped)
    ids = claim(cw, limit, settings)
    report.claimed = len(ids)
    if not ids:
        return report
    smtp = SmtpSender(settings)
    try:
        for delivery in _load(cw, ids, settings, smtp):
            try:
                delivery.send()
            except Exception as exc:  # any failure of one delivery is recorded; the others go on
                status = _mark_failed(cw, delivery, exc, settings, rng or random)
                setattr(report, status, getattr(report, status) + 1)
                report.errors.append(f"{delivery.n.id}: {exc}")
                continue
            if os.environ.get(CRASH_AFTER_SEND):
                os._exit(70)
            _mark_sent(cw, delivery)
            report.sent += 1
    finally:
        smtp.close()
    return report


def claim(cw: Casework, limit: int, settings: NotifySettings) -> list[int]:
    """Take due rows and hide them for the lease: other dispatchers skip them (SKIP LOCKED, then the lease)."""
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
                .order_by(col(Notification.next_attempt_at), col(Notification.id))
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


def _load(cw: Casework, ids: list[int], settings: NotifySettings, smtp: SmtpSender) -> list[Delivery]:
    with cw.reader() as uow:
        s = uow.session
        rows = list(
            s.execute(
                select(Notification).where(col(Notification.id).in_(ids)).order_by(col(Notification.id))
            ).scalars()
        )
        case_ids = {n.case_id for n in rows}
        cases = {c.id: c for c in s.execute(select(Case).where(col(Case.id).in_(case_ids))).scalars()}
        comments = {
            c.case_id: c for c in s.execute(select(Comment).where(col(Comment.case_id).in_(case_ids))).scalars()
        }
        users = {
            u.id: u
            for u in s.execute(
                select(User).where(col(User.id).in_({n.recipient_id for n in rows if n.recipient_id}))
            ).scalars()
        }
        endpoints = {
            e.id: e
            for e in s.execute(
                select(WebhookEndpoint).where(
                    col(WebhookEndpoint.id).in_({n.endpoint_id for n in rows if n.endpoint_id})
                )
            ).scalars()
        }
    now = cw.now()
    labels = Labels(cw.workflow, cw.settings.forces)
    deliveries: list[Delivery] = []
    for n in rows:
        case = cases[n.case_id]
        if n.channel == "email":
            user = users.get(n.recipient_id)
            send = _email(n, case, comments.get(case.id), user, settings, smtp, now, (labels, cw.settings.forces))
            deliveries.append(
                Delivery(
                    n,
                    case.state,
                    user.username if user else str(n.recipient_id),
                    send,
                    message_id(n.delivery_id, settings.message_id_domain),
                )
            )
        else:
            endpoint = endpoints[n.endpoint_id]
            send = _webhook(n, case, endpoint, settings, now)
            deliveries.append(Delivery(n, case.state, f"endpoint {endpoint.id}", send))
    return deliveries


def _email(
    n: Notification,
    case: Case,
    comment: Comment | None,
    user: User | None,
    settings: NotifySettings,
    smtp: SmtpSender,
    now: datetime,
    words: tuple[Labels, Mapping[str, ForceConfig]],
) -> Callable[[], None]:
    def send() -> None:
        if user is None or not user.active or not user.email:
            raise PermanentFailure("the recipient has no active account with an e-mail address")
        labels, forces = words
        marking = forces[case.force].marking if case.force in forces else DEFAULT_MARKING
        rendered = render(n, context(n, case, comment, user, settings.base_url, labels, marking))
        smtp.send(
            build_message(
                settings,
                delivery_id=n.delivery_id,
                to=user.email,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                at=now,
            )
        )

    return send


def _webhook(
    n: Notification, case: Case, endpoint: WebhookEndpoint, settings: NotifySettings, now: datetime
) -> Callable[[], None]:
    def send() -> None:
        if not endpoint.active:
            raise PermanentFailure(f"webhook endpoint {endpoint.id} is switched off")
        body = orjson.dumps(
            {
                **n.payload,
                "delivery_id": n.delivery_id,
                "subject": n.subject,
                "url": case_url(settings.base_url, case.reference),
                "sent_at": now.isoformat(),
            },
            option=orjson.OPT_SORT_KEYS,
        )
        webhook.post(
            endpoint.url,
            endpoint.secret,
            body,
            delivery_id=n.delivery_id,
            kind=n.kind,
            timeout=settings.webhook_timeout,
        )

    return send


def _event_data(d: Delivery, **extra: Any) -> dict[str, Any]:
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


def _mark_sent(cw: Casework, d: Delivery) -> None:
    now = cw.now()
    with cw.uow() as uow:
        done = _rowcount(
            uow.session.execute(
                update(Notification)
                .where(col(Notification.id) == d.n.id, col(Notification.status).in_(DUE))
                .values(status="sent", sent_at=now, last_error=None)
            )
        )
        if done:
            uow.record(
                "notification_sent",
                at=now,
                actor=ACTOR,
                role="system",
                case=d.n.case_id,
                from_state=d.state,
                to_state=d.state,
                data=_event_data(d),
            )
        uow.commit()


def _mark_failed(cw: Casework, d: Delivery, exc: Exception, settings: NotifySettings, rng: Jitter) -> str:
    """Record the failure; a retry later with back-off, or a dead letter when it cannot or may not retry."""
    now, attempt = cw.now(), d.n.attempts
    dead = isinstance(exc, PermanentFailure) or attempt >= settings.max_attempts
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
                data=_event_data(d, error=error[:300], retry_at=None if dead else retry_at.isoformat()),
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
