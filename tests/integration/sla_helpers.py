"""Reading clocks and SLA events of a case by reference, for the SLA tests."""

import pytest
from sqlalchemy import and_, func, or_, select
from sqlalchemy import case as when

from casework.sla import queries
from casework.sla.models import SlaClock
from casework.storage.tables import Case, CaseEvent, table_of


def case_id(cw, reference: str) -> int:
    with cw.reader() as uow:
        return uow.session.execute(select(Case.id).where(Case.reference == reference)).scalar_one()


def clocks(cw, reference: str) -> dict[str, list[queries.ClockView]]:
    """Runs of each clock of the case, oldest first."""
    runs: dict[str, list] = {}
    for view in queries.case_clocks(cw, case_id(cw, reference)):
        runs.setdefault(view.name, []).append(view)
    return runs


def running(cw, reference: str) -> set[str]:
    return {name for name, runs in clocks(cw, reference).items() if runs[-1].stopped_at is None}


def sla_events(cw, reference: str | None = None, actions=("sla_warning", "sla_breach")) -> list[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.action.in_(actions)).order_by(CaseEvent.seq)
    if reference:
        query = query.where(CaseEvent.case_id == case_id(cw, reference))
    with cw.reader() as uow:
        return list(uow.session.execute(query).scalars())


class Published:
    """A real handler that keeps what the SLA engine publishes (what the notifications outbox receives)."""

    def __init__(self, cw):
        self.changes = []
        cw.handlers.append(self)

    def __call__(self, uow, change, cw):
        self.changes.append(change)

    def kinds(self, *kinds):
        return [c for c in self.changes if c.kind in kinds]


POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
"""For tests of several sweepers or workers at once: SQLite serialises them with BEGIN IMMEDIATE."""


def scanned_compliance(cw, forces, now) -> list[queries.Compliance]:
    """Compliance counted from every clock run, as the dashboard's tallies must agree with."""
    c = table_of(SlaClock).c
    late = or_(c.breached_at.is_not(None), and_(c.stopped_at.is_not(None), c.stopped_at >= c.due_at))
    met = and_(c.stopped_at.is_not(None), c.breached_at.is_(None), c.stopped_at < c.due_at)
    running = c.stopped_at.is_(None)
    overdue = and_(running, c.due_at <= now)
    query = (
        select(c.force, c.name, *(func.sum(when((cond, 1), else_=0)) for cond in (met, late, running, overdue)))
        .where(c.force.in_(sorted(forces)))
        .group_by(c.force, c.name)
    )
    labels = {s.name: s.label for s in cw.workflow.clocks}
    order = {s.name: i for i, s in enumerate(cw.workflow.clocks)}
    with cw.reader() as uow:
        rows = uow.session.execute(query).all()
    result = [queries.Compliance(f, n, labels.get(n, n), int(a), int(b), int(r), int(o)) for f, n, a, b, r, o in rows]
    return sorted(result, key=lambda x: (x.force, order.get(x.clock, 99)))
