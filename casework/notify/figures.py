"""Operational figures for `/metrics`: read-only counts from the database, the same in every process.

They live here because the outbox is notify's and notify sits above the capabilities it also counts
(cases, SLA clocks, the audit log). Each is one grouped query on indexed columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from casework.audit.checks import ACTION as VERIFIED
from casework.clock import ensure_utc
from casework.notify.tables import Notification
from casework.runtime import Casework
from casework.sla.models import SlaClock
from casework.storage.tables import Case, CaseEvent


@dataclass(frozen=True)
class Figures:
    open_cases: dict[str, int]  # by state
    transitions: dict[str, int]  # by trigger
    sla_warnings: dict[str, int]  # by clock
    sla_breaches: dict[str, int]
    outbox_depth: dict[tuple[str, str], int]  # (kind, channel): rows waiting to be sent
    outbox_oldest_seconds: dict[tuple[str, str], float]
    dead_letters: dict[str, int]  # by kind
    last_verification_seconds: float | None  # since the latest recorded chain verification


def figures(cw: Casework) -> Figures:
    open_states = [s.name for s in cw.workflow.states if not s.final]
    now = cw.now()
    with cw.reader() as uow:
        run = uow.session.execute
        open_cases = dict(
            run(
                select(col(Case.state), func.count()).where(col(Case.state).in_(open_states)).group_by(col(Case.state))
            ).all()
        )
        trigger = col(CaseEvent.data)["trigger"].as_string()
        transitions = dict(
            run(select(trigger, func.count()).where(col(CaseEvent.action) == "transition").group_by(trigger)).all()
        )
        warnings = _per_clock(uow.session, col(SlaClock.warned_at))
        breaches = _per_clock(uow.session, col(SlaClock.breached_at))
        waiting = run(
            select(
                col(Notification.kind), col(Notification.channel), func.count(), func.min(col(Notification.created_at))
            )
            .where(col(Notification.status).in_(("pending", "failed")), col(Notification.channel) != "inbox")
            .group_by(col(Notification.kind), col(Notification.channel))
        ).all()
        dead = dict(
            run(
                select(col(Notification.kind), func.count())
                .where(col(Notification.status) == "dead")
                .group_by(col(Notification.kind))
            ).all()
        )
        verified = run(
            select(col(CaseEvent.at))
            .where(col(CaseEvent.action) == VERIFIED)
            .order_by(col(CaseEvent.seq).desc())
            .limit(1)
        ).scalar_one_or_none()
    return Figures(
        open_cases={state: open_cases.get(state, 0) for state in open_states},
        transitions=transitions,
        sla_warnings=warnings,
        sla_breaches=breaches,
        outbox_depth={(kind, channel): count for kind, channel, count, _ in waiting},
        outbox_oldest_seconds={(kind, channel): _age(now, oldest) for kind, channel, _, oldest in waiting},
        dead_letters=dead,
        last_verification_seconds=_age(now, verified) if verified else None,
    )


def _per_clock(session: Session, marked: Any) -> dict[str, int]:
    query = select(col(SlaClock.name), func.count()).where(marked.is_not(None)).group_by(col(SlaClock.name))
    return dict(session.execute(query).all())


def _age(now: datetime, then: datetime) -> float:
    return max(0.0, (now - ensure_utc(then)).total_seconds())
