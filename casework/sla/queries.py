"""Reading SLA clocks: a case's clocks with time left, open clocks due soonest, breaches, and the compliance
row (counted from the clock tallies by `casework.cases.stats.compliance`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, UnaryExpression, func, select

from casework.runtime import Casework
from casework.sla.models import SlaClock
from casework.storage.tables import Case, table_of

URGENT_WITHIN = timedelta(hours=2)  # amber when this little is left, however long the target (a 1-hour clock)

_clocks, _cases = table_of(SlaClock), table_of(Case)
_COLUMNS = (
    _clocks.c.case_id,
    _clocks.c.name,
    _clocks.c.run,
    _clocks.c.force,
    _clocks.c.calendar,
    _clocks.c.started_at,
    _clocks.c.warn_at,
    _clocks.c.due_at,
    _clocks.c.stopped_at,
    _clocks.c.warned_at,
    _clocks.c.breached_at,
)


def in_words(span: timedelta) -> str:
    """A duration as people say it: "2 d 3 h", "2 h 10 min", "35 min"."""
    minutes = int(abs(span).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "under 1 min"


@dataclass(frozen=True)
class ClockView:
    """One run of a clock as people see it; `status` is running, warning, overdue, met or breached.

    A running clock warns at its declared point (75 %) or when less than URGENT_WITHIN is left, so
    urgency follows the time left rather than the share of the target.
    """

    case_id: int
    name: str
    label: str
    run: int
    force: str
    calendar: str
    started_at: datetime
    warn_at: datetime
    due_at: datetime
    stopped_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None
    reference: str | None = None

    def status(self, now: datetime) -> str:
        if self.stopped_at is not None:
            return "breached" if self.breached_at or self.stopped_at >= self.due_at else "met"
        if now >= self.due_at:
            return "overdue"
        return "warning" if now >= self.warn_at or self.due_at - now <= URGENT_WITHIN else "running"

    def words(self, now: datetime) -> str:
        """What the clock says: "due in 2 h 10 min", "overdue by 35 min", "met", "breached by 1 h"."""
        status = self.status(now)
        if status in ("running", "warning"):
            return f"due in {in_words(self.due_at - now)}"
        if status == "overdue":
            return f"overdue by {in_words(now - self.due_at)}"
        if status == "met":
            return "met"
        assert self.stopped_at is not None  # only a stopped clock is met or breached
        return f"breached by {in_words(self.stopped_at - self.due_at)}"


def _views(cw: Casework, rows: Iterable[Row[Any]]) -> list[ClockView]:
    labels = {c.name: c.label for c in cw.workflow.clocks}
    return [ClockView(**{**r._asdict(), "label": labels.get(r.name, r.name)}) for r in rows]


def case_clocks(cw: Casework, case_id: int) -> list[ClockView]:
    """Every run of every clock of a case, in the order they started."""
    with cw.reader() as uow:
        rows = uow.session.execute(
            select(*_COLUMNS).where(_clocks.c.case_id == case_id).order_by(_clocks.c.started_at, _clocks.c.id)
        ).all()
    return _views(cw, rows)


def next_due(cw: Casework, case_ids: Iterable[int]) -> dict[int, ClockView]:
    """For each case, its running clock due soonest (what a queue shows and sorts by)."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    with cw.reader() as uow:
        rows = uow.session.execute(
            select(*_COLUMNS)
            .where(_clocks.c.case_id.in_(ids), _clocks.c.stopped_at.is_(None))
            .order_by(_clocks.c.due_at.desc())
        ).all()
    return {v.case_id: v for v in _views(cw, rows)}  # the last written, soonest due, wins


def due_order() -> UnaryExpression[Any]:
    """A correlated ORDER BY term for case lists: soonest running deadline first, cases without one last."""
    soonest = (
        select(func.min(_clocks.c.due_at))
        .where(_clocks.c.case_id == _cases.c.id, _clocks.c.stopped_at.is_(None))
        .correlate(_cases)
        .scalar_subquery()
    )
    return soonest.asc().nulls_last()


def open_clocks(cw: Casework, forces: Iterable[str], limit: int = 20) -> list[ClockView]:
    """Running clocks of these forces, due soonest first (served by the partial index on open clocks)."""
    with cw.reader() as uow:
        rows = uow.session.execute(
            select(*_COLUMNS, _cases.c.reference)
            .join(_cases, _cases.c.id == _clocks.c.case_id)
            .where(_clocks.c.stopped_at.is_(None), _clocks.c.force.in_(sorted(forces)))
            .order_by(_clocks.c.due_at)
            .limit(limit)
        ).all()
    return _views(cw, rows)


def breaches(cw: Casework, forces: Iterable[str], limit: int = 20) -> list[ClockView]:
    """The latest recorded breaches of these forces."""
    with cw.reader() as uow:
        rows = uow.session.execute(
            select(*_COLUMNS, _cases.c.reference)
            .join(_cases, _cases.c.id == _clocks.c.case_id)
            .where(_clocks.c.breached_at.is_not(None), _clocks.c.force.in_(sorted(forces)))
            .order_by(_clocks.c.breached_at.desc(), _clocks.c.id.desc())
            .limit(limit)
        ).all()
    return _views(cw, rows)


@dataclass(frozen=True)
class Compliance:
    """Clocks of one name in one force: finished on time, breached, and still running (and overdue)."""

    force: str
    clock: str
    label: str
    met: int
    breached: int
    running: int
    overdue: int

    @property
    def rate(self) -> float | None:
        """Share of decided clocks (met or breached) that were met; None while none is decided."""
        decided = self.met + self.breached
        return self.met / decided if decided else None


def references(cw: Casework, case_ids: Iterable[int]) -> dict[int, str]:
    """Case references by id, for reports of what a sweep did."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    with cw.reader() as uow:
        return dict(uow.session.execute(select(_cases.c.id, _cases.c.reference).where(_cases.c.id.in_(ids))).all())
