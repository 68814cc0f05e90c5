"""Marking warnings and breaches exactly once, and announcing each: an audit event and a CaseChanged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from casework.access.actors import Actor
from casework.events import CaseChanged, ClockRun
from casework.runtime import Casework
from casework.sla.models import SlaClock
from casework.storage.tables import table_of
from casework.storage.uow import UnitOfWork

WARNING, BREACH = "sla_warning", "sla_breach"
_clocks = table_of(SlaClock)
# kind -> (the column marked once, the column holding the true time it happened)
_COLUMNS = {WARNING: (_clocks.c.warned_at, _clocks.c.warn_at), BREACH: (_clocks.c.breached_at, _clocks.c.due_at)}


@dataclass(frozen=True)
class Mark:
    """A warning or breach this transaction (and no other) marked; `at` is when it really happened."""

    kind: str
    clock_id: int
    case_id: int
    clock: str
    run: int
    at: datetime
    due_at: datetime
    force: str
    started_at: datetime

    @property
    def order(self) -> tuple[datetime, bool, int, str]:
        return (self.at, self.kind == BREACH, self.case_id, self.clock)


@dataclass(frozen=True)
class Stage:
    """The stage a clock measured and who held the case there: whom a warning or breach concerns."""

    state: str
    assignee_id: int | None


def mark(session: Session, kind: str, ids: list[int], now: datetime) -> list[Mark]:
    """Set the mark to its true time where it is still unset: the database decides who marks it, once."""
    if not ids:
        return []
    marked, when = _COLUMNS[kind]
    rows = session.execute(
        update(_clocks)
        .where(_clocks.c.id.in_(ids), marked.is_(None), when <= now)
        .values({marked.name: when})
        .returning(
            _clocks.c.id,
            _clocks.c.case_id,
            _clocks.c.name,
            _clocks.c.run,
            when,
            _clocks.c.due_at,
            _clocks.c.force,
            _clocks.c.started_at,
        )
    ).all()
    return [Mark(kind, *r) for r in rows]


def announce(
    uow: UnitOfWork,
    cw: Casework,
    marks: list[Mark],
    cases: dict[int, Any],
    now: datetime,
    noticed: str,
    stages: dict[int, Stage] | None = None,
) -> None:
    """Record each mark at its true time, oldest first, and publish it for notifications (the outbox).

    `stages` names the stage a clock stopped by a transition measured; otherwise it is the case's own.
    """
    actor = Actor.system("sla", cw.settings.forces)
    for m in sorted(marks, key=lambda m: m.order):
        case = cases[m.case_id]
        stage = (stages or {}).get(m.case_id) or Stage(case.state, case.assignee_id)
        state = stage.state
        uow.record(
            m.kind,
            at=m.at,
            actor=actor.username,
            role="system",
            case=case,
            from_state=state,
            to_state=state,
            data={
                "clock": m.clock,
                "run": m.run,
                "due_at": m.due_at.isoformat(),
                "recorded_at": now.isoformat(),
                "noticed": noticed,
            },
        )
        cw.publish(
            uow,
            CaseChanged(
                m.kind,
                case,
                actor,
                m.at,
                inputs={
                    "clock": m.clock,
                    "due_at": m.due_at.isoformat(),
                    "breached": m.kind == BREACH,
                    "noticed": noticed,
                    "stage": stage.state,
                    "assignee_id": stage.assignee_id,
                },
                clock_runs=[ClockRun(m.clock, m.force, m.started_at, m.due_at)],
            ),
        )
