"""Delivering the outbox: claim a batch in a short transaction, send outside it, mark each in another.

A crash after sending and before marking leaves the row claimed; when its lease runs out it is sent
again with the same Message-ID / delivery id. Nothing is lost; a receiver can drop the duplicate.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import orjson
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from casework.labels import Labels
from casework.notify.tables import Notification, WebhookEndpoint
from casework.runtime import Casework
from casework.storage.tables import Case, Comment, User
from notifications.channels import PermanentFailure, inbox, webhook
from notifications.channels.email import SmtpSender, build_message, message_id
from notifications.claims import claim, renew
from notifications.config import NotifySettings
from notifications.marks import Delivery, Jitter, mark_failed, mark_sent
from notifications.render import Renderer, case_url
from notifications.stale import drop_stale_warnings

log = logging.getLogger(__name__)
CRASH_AFTER_SEND = "CASEWORK_NOTIFY_CRASH_AFTER_SEND"  # tests only: die between sending and marking
# Sent rows are marked this many at a time: a crash re-sends at most these (same Message-ID).
MARK_EVERY = 20


@dataclass
class DispatchReport:
    inbox: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    unmarked: int = 0  # sent or failed, but the database refused the mark: comes back after the lease
    dropped: int = 0  # warnings whose deadline had passed before they went out
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            (
                f"inbox {self.inbox}, claimed {self.claimed}: sent {self.sent}, "
                f"failed {self.failed} (will retry), dead {self.dead}"
            )
            + (f", not marked {self.unmarked}" if self.unmarked else "")
            + (f", stale warnings dropped {self.dropped}" if self.dropped else "")
        )


def dispatch_pending(
    cw: Casework, limit: int = 100, *, settings: NotifySettings | None = None, rng: random.Random | None = None
) -> DispatchReport:
    """One pass: deliver due inbox rows, then `senders` threads claim, send and mark batches of `limit`
    outgoing rows, most urgent first, until none is due or the pass has used its time (`pass_seconds`)."""
    settings = settings or NotifySettings.from_env()
    ends = time.monotonic() + settings.pass_seconds
    dropped = drop_stale_warnings(cw, limit)
    report = DispatchReport(inbox=inbox.deliver_due(cw, limit), dropped=dropped)
    if settings.senders == 1:
        parts = [_drain(cw, limit, settings, rng or random, ends)]
    else:  # SMTP round trips overlap; claims never overlap (SKIP LOCKED, or SQLite's write lock)
        with ThreadPoolExecutor(settings.senders, thread_name_prefix="casework-sender") as pool:
            parts = list(pool.map(lambda _: _drain(cw, limit, settings, rng or random, ends), range(settings.senders)))
    for part in parts:
        for name in ("claimed", "sent", "failed", "dead", "unmarked"):
            setattr(report, name, getattr(report, name) + getattr(part, name))
        report.errors.extend(part.errors)
    return report


def _drain(cw: Casework, limit: int, settings: NotifySettings, rng: Jitter, ends: float) -> DispatchReport:
    """One sender: batch after batch over one SMTP connection, reopened only after an error."""
    report = DispatchReport()
    smtp = SmtpSender(settings)
    try:
        while ids := claim(cw, limit, settings):
            report.claimed += len(ids)
            _deliver(cw, ids, settings, smtp, report, rng)
            if len(ids) < limit or time.monotonic() >= ends:
                break
    finally:
        smtp.close()
    return report


def _deliver(
    cw: Casework, ids: list[int], settings: NotifySettings, smtp: SmtpSender, report: DispatchReport, rng: Jitter
) -> None:
    """Send one claimed batch; a database error marking one row is logged and the batch goes on."""
    renew_at = time.monotonic() + settings.lease / 2
    waiting, sent = list(ids), list[Delivery]()
    for delivery in _load(cw, ids, settings, smtp):
        if time.monotonic() >= renew_at:
            _mark_group(cw, sent, report)
            renew(cw, waiting, settings)
            renew_at = time.monotonic() + settings.lease / 2
        waiting.remove(cast(int, delivery.n.id))
        try:
            delivery.send()
        except Exception as exc:  # any failure of one delivery is recorded; the others go on
            try:
                status = mark_failed(cw, delivery, exc, settings, rng)
            except SQLAlchemyError as db_error:
                _unmarked(report, delivery, db_error)
                continue
            setattr(report, status, getattr(report, status) + 1)
            report.errors.append(f"{delivery.n.id}: {exc}")
            continue
        if os.environ.get(CRASH_AFTER_SEND):
            os._exit(70)
        sent.append(delivery)
        if len(sent) >= MARK_EVERY:
            _mark_group(cw, sent, report)
    _mark_group(cw, sent, report)


def _mark_group(cw: Casework, sent: list[Delivery], report: DispatchReport) -> None:
    """Mark what was sent since the last group; if the database refuses the group, row by row."""
    try:
        mark_sent(cw, sent)
        report.sent += len(sent)
    except SQLAlchemyError:
        for delivery in sent:
            try:
                mark_sent(cw, [delivery])
                report.sent += 1
            except SQLAlchemyError as db_error:
                _unmarked(report, delivery, db_error)
    sent.clear()


def _unmarked(report: DispatchReport, delivery: Delivery, exc: SQLAlchemyError) -> None:
    """The row stays claimed: when its lease runs out it is sent again, with the same Message-ID."""
    log.error("notification %s could not be marked (%s): it will be retried", delivery.n.id, exc)
    report.unmarked += 1
    report.errors.append(f"{delivery.n.id}: not marked: {exc}")


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
    renderer = Renderer(settings.base_url, Labels(cw.workflow, cw.settings.forces), cw.settings.forces)
    deliveries: list[Delivery] = []
    for n in rows:
        case = cases[n.case_id]
        if n.channel == "email":
            user = users.get(n.recipient_id)
            send = _email(n, case, comments.get(case.id), user, settings, smtp, now, renderer)
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
    renderer: Renderer,
) -> Callable[[], None]:
    def send() -> None:
        if user is None or not user.active or not user.email:
            raise PermanentFailure("the recipient has no active account with an e-mail address")
        rendered = renderer(n, case, comment)
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
