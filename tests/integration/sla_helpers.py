"""Reading clocks and SLA events of a case by reference, for the SLA tests."""

import pytest
from sqlalchemy import select

from casework.sla import queries
from casework.storage.tables import Case, CaseEvent


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
