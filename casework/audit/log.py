"""The event log as overseers read it: filtered by case, user, action and date, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlmodel import col

from casework.access.actors import Actor
from casework.clock import LONDON
from casework.errors import PermissionDenied, ValidationError
from casework.runtime import Casework
from casework.storage.tables import Case, CaseEvent

READERS = frozenset({"auditor", "supervisor"})
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class LogFilter:
    reference: str = ""
    user: str = ""
    action: str = ""
    since: date | None = None  # inclusive, a day in Europe/London
    until: date | None = None  # inclusive
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class LogEntry:
    event: CaseEvent
    reference: str | None


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, LONDON).astimezone(UTC)


def _check(actor: Actor, flt: LogFilter) -> None:
    if not actor.roles & READERS:
        raise PermissionDenied("the event log is for auditors and supervisors")
    errors = {}
    if flt.since and flt.until and flt.since > flt.until:
        errors["until"] = "must not be before the start date"
    if flt.page < 1 or not 1 <= flt.per_page <= MAX_PER_PAGE:
        errors["page"] = f"page from 1, per page 1-{MAX_PER_PAGE}"
    for name in ("reference", "user", "action"):
        if len(getattr(flt, name)) > 100:
            errors[name] = "at most 100 characters"
    if errors:
        raise ValidationError(errors)


def search_events(cw: Casework, actor: Actor, flt: LogFilter) -> LogPage:
    """Events of the actor's forces' cases (auditors also see events about no case), newest first."""
    _check(actor, flt)
    scope: ColumnElement[bool] = col(Case.force).in_(sorted(actor.forces))
    if "auditor" in actor.roles:
        scope = or_(scope, col(CaseEvent.case_id).is_(None))
    where = [scope]
    if flt.reference:
        where.append(col(Case.reference) == flt.reference.strip().upper())
    if flt.user:
        where.append(col(CaseEvent.actor) == flt.user.strip().lower())
    if flt.action:
        where.append(col(CaseEvent.action) == flt.action.strip())
    if flt.since:
        where.append(col(CaseEvent.at) >= _london_midnight(flt.since))
    if flt.until:
        where.append(col(CaseEvent.at) < _london_midnight(flt.until + timedelta(days=1)))
    joined = (
        select(CaseEvent, col(Case.reference)).outerjoin(Case, col(Case.id) == col(CaseEvent.case_id)).where(*where)
    )
    with cw.reader() as uow:
        s = uow.session
        total = s.execute(select(func.count()).select_from(joined.subquery())).scalar_one()
        rows = s.execute(
            joined.order_by(col(CaseEvent.seq).desc()).offset((flt.page - 1) * flt.per_page).limit(flt.per_page)
        ).all()
    return LogPage([LogEntry(event, ref) for event, ref in rows], total, flt.page, flt.per_page)


def event_actions(cw: Casework) -> list[str]:
    """The kinds of event the log holds, for the filter's choices."""
    with cw.reader() as uow:
        return list(
            uow.session.execute(select(col(CaseEvent.action)).distinct().order_by(col(CaseEvent.action))).scalars()
        )
