"""Each person's inbox, and the delivery rows overseers look into: dead letters and retries."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlmodel import col

from casework.access.actors import Actor
from casework.errors import NotFound, PermissionDenied, ValidationError
from casework.notify.tables import Notification
from casework.runtime import Casework
from casework.storage.tables import Case

UNDELIVERED = ("failed", "dead")


def inbox(cw: Casework, actor: Actor, limit: int = 100) -> list[Notification]:
    """The actor's own delivered in-app notifications, newest first; nobody sees another's."""
    with cw.reader() as uow:
        return list(
            uow.session.execute(
                select(Notification)
                .where(
                    col(Notification.recipient_id) == actor.id,
                    col(Notification.channel) == "inbox",
                    col(Notification.status) == "sent",
                )
                .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
                .limit(limit)
            ).scalars()
        )


def unread_count(cw: Casework, actor: Actor) -> int:
    with cw.reader() as uow:
        count: int = uow.session.execute(
            select(func.count())
            .select_from(Notification)
            .where(
                col(Notification.recipient_id) == actor.id,
                col(Notification.channel) == "inbox",
                col(Notification.status) == "sent",
                col(Notification.read_at).is_(None),
            )
        ).scalar_one()
        return count


def mark_case_read(cw: Casework, actor: Actor, case_id: int) -> int:
    """Opening a case reads the actor's inbox items about it; returns how many were unread."""
    with cw.uow() as uow:
        result = cast(
            CursorResult[Any],
            uow.session.execute(
                update(Notification)
                .where(
                    col(Notification.recipient_id) == actor.id,
                    col(Notification.channel) == "inbox",
                    col(Notification.case_id) == case_id,
                    col(Notification.read_at).is_(None),
                )
                .values(read_at=cw.now())
            ),
        )
        uow.commit()
        return result.rowcount


def mark_read(cw: Casework, actor: Actor, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) unread inbox notification of the actor as read."""
    where = [
        col(Notification.recipient_id) == actor.id,
        col(Notification.channel) == "inbox",
        col(Notification.read_at).is_(None),
    ]
    if notification_id is not None:
        where.append(col(Notification.id) == notification_id)
    with cw.uow() as uow:
        # An UPDATE gives a CursorResult; Session.execute is typed as returning the plain Result.
        result = cast(
            CursorResult[Any], uow.session.execute(update(Notification).where(*where).values(read_at=cw.now()))
        )
        count = result.rowcount
        uow.commit()
    if notification_id is not None and count == 0 and not _owns(cw, actor, notification_id):
        raise NotFound(f"no notification {notification_id} in your inbox")
    return count


def _owns(cw: Casework, actor: Actor, notification_id: int) -> bool:
    with cw.reader() as uow:
        row = uow.session.get(Notification, notification_id)
        return row is not None and row.recipient_id == actor.id and row.channel == "inbox"


def outbox_rows(
    cw: Casework, *, undelivered: bool = False, forces: Iterable[str] | None = None, limit: int = 200
) -> list[Notification]:
    """Outgoing notifications newest first; `undelivered` keeps only failed and dead letters."""
    query = select(Notification).where(col(Notification.channel) != "inbox")
    if undelivered:
        query = query.where(col(Notification.status).in_(UNDELIVERED))
    if forces is not None:
        query = query.join(Case, col(Case.id) == Notification.case_id).where(col(Case.force).in_(sorted(forces)))
    with cw.reader() as uow:
        return list(
            uow.session.execute(
                query.order_by(col(Notification.created_at).desc(), col(Notification.id).desc()).limit(limit)
            ).scalars()
        )


def dead_letters(cw: Casework, actor: Actor) -> list[Notification]:
    """Failed and dead notifications of the supervisor's forces."""
    _supervisor(actor)
    return outbox_rows(cw, undelivered=True, forces=actor.forces)


def retry_as(cw: Casework, actor: Actor, notification_id: int) -> Notification:
    """A supervisor sends a failed notification of one of their forces again."""
    _supervisor(actor)
    return retry(cw, notification_id, by=actor.username, forces=actor.forces)


def _supervisor(actor: Actor) -> None:
    if "supervisor" not in actor.roles:
        raise PermissionDenied("only supervisors see and retry failed notifications")


def retry(cw: Casework, notification_id: int, *, by: str, forces: Collection[str] | None = None) -> Notification:
    """Send a failed or dead notification again, with a fresh count of attempts and the same delivery id."""
    with cw.uow() as uow:
        row = uow.session.get(Notification, notification_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no notification {notification_id}")
        case = uow.session.get(Case, row.case_id)
        assert case is not None  # notifications.case_id is a foreign key to cases
        if forces is not None and case.force not in forces:
            raise NotFound(f"no notification {notification_id}")
        if row.status not in UNDELIVERED:
            raise ValidationError(
                {"id": f"notification {notification_id} is {row.status}; only failed or dead ones are retried"}
            )
        before, now = row.status, cw.now()
        row.status, row.attempts, row.next_attempt_at = "pending", 0, now
        uow.record(
            "notification_retried",
            at=now,
            actor=by,
            role="system" if by.startswith("system:") else "supervisor",
            case=row.case_id,
            from_state=case.state,
            to_state=case.state,
            data={"notification": row.id, "delivery_id": row.delivery_id, "was": before},
        )
        uow.commit()
        return row


def retry_dead(cw: Casework, *, by: str, kind: str | None = None, since: datetime | None = None) -> int:
    """Queue every dead letter (of one kind, created since a time) again; each retry is an audit event."""
    query = select(Notification, col(Case.state)).join(Case, col(Case.id) == col(Notification.case_id))
    query = query.where(col(Notification.status) == "dead")
    if kind:
        query = query.where(col(Notification.kind) == kind)
    if since:
        query = query.where(col(Notification.created_at) >= since)
    now = cw.now()
    with cw.uow() as uow:
        found = uow.session.execute(query.order_by(col(Notification.id)).with_for_update(of=Notification)).all()
        for row, state in found:
            row.status, row.attempts, row.next_attempt_at = "pending", 0, now
            uow.record(
                "notification_retried",
                at=now,
                actor=by,
                role="system",
                case=row.case_id,
                from_state=state,
                to_state=state,
                data={"notification": row.id, "delivery_id": row.delivery_id, "was": "dead"},
            )
        uow.commit()
    return len(found)
