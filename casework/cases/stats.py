"""Figures for the dashboard: open work by state and force, how old it is, and how cases ended."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from casework.access.actors import Actor
from casework.cases.queue import EXCERPT
from casework.cases.tallies import case_tallies as _tally
from casework.cases.tallies import clock_tallies
from casework.runtime import Casework
from casework.sla.models import SlaClock
from casework.sla.queries import Compliance
from casework.storage.tables import Case, Comment, table_of

AGE_BUCKETS = (
    ("under 1 h", timedelta(hours=1)),
    ("1–4 h", timedelta(hours=4)),
    ("4–24 h", timedelta(hours=24)),
    ("1–2 days", timedelta(days=2)),
    ("2–5 days", timedelta(days=5)),
    ("over 5 days", None),
)
OLDEST = 5
_clocks = table_of(SlaClock)


@dataclass(frozen=True)
class OldCase:
    reference: str
    state: str
    detected_at: object
    excerpt: str | None
    force: str


@dataclass(frozen=True)
class Dashboard:
    by_state_force: dict[tuple[str, str], int]
    open_ages: list[tuple[str, int]]
    outcomes: dict[str, int]
    oldest_open: list[OldCase]
    forces: tuple[str, ...]


def dashboard(cw: Casework, actor: Actor) -> Dashboard:
    """Figures over the actor's forces only, read from the tallies and index ranges: flat in the data."""
    forces = tuple(sorted(actor.forces))
    final = cw.workflow.finals
    open_states = [s.name for s in cw.workflow.states if not s.final]
    now = cw.now()
    with cw.reader() as uow:
        s = uow.session
        by_state_force: dict[tuple[str, str], int] = {}
        outcomes: dict[str, int] = {}
        t, cases = _tally.c, func.sum(_tally.c.cases)
        for force, state, outcome, n in s.execute(
            select(t.force, t.state, t.outcome, cases)
            .where(t.force.in_(forces))
            .group_by(t.force, t.state, t.outcome)
            .having(cases != 0)
        ):
            by_state_force[(state, force)] = by_state_force.get((state, force), 0) + n
            if state in final:
                outcomes[outcome or "none"] = outcomes.get(outcome or "none", 0) + n
        open_total = sum(n for (state, _), n in by_state_force.items() if state not in final)
        ages = _open_ages(s, forces, open_states, now, open_total)
        oldest = _oldest_open(s, forces, open_states)
    return Dashboard(by_state_force, ages, outcomes, oldest, forces)


def _open_ages(
    s: Session, forces: tuple[str, ...], open_states: list[str], now: datetime, total: int
) -> list[tuple[str, int]]:
    """Open cases younger than each bound, counted on the queue index (force, state, detected_at); the
    oldest bucket is the open total less the rest, so only recent entries are counted."""
    younger = []
    for _, limit in AGE_BUCKETS[:-1]:
        assert limit is not None
        younger.append(
            s.execute(
                select(func.count()).where(
                    col(Case.force).in_(forces), col(Case.state).in_(open_states), col(Case.detected_at) > now - limit
                )
            ).scalar_one()
        )
    counts = [b - a for a, b in zip([0, *younger], [*younger, total], strict=True)]
    return [(label, n) for (label, _), n in zip(AGE_BUCKETS, counts, strict=True)]


def _oldest_open(s: Session, forces: tuple[str, ...], open_states: list[str]) -> list[OldCase]:
    """The five oldest open cases: the five oldest of each force and open state off the queue index, merged."""
    firsts: list[tuple[datetime, int | None]] = []
    for force in forces:
        for state in open_states:
            firsts.extend(
                (at, case_id)
                for at, case_id in s.execute(
                    select(col(Case.detected_at), col(Case.id))
                    .where(col(Case.force) == force, col(Case.state) == state)
                    .order_by(col(Case.detected_at), col(Case.id))
                    .limit(OLDEST)
                )
            )
    ids = [case_id for _, case_id in sorted(firsts)[:OLDEST]]
    rows = s.execute(
        select(
            col(Case.id),
            col(Case.reference),
            col(Case.state),
            col(Case.detected_at),
            func.substr(Comment.text, 1, EXCERPT),
            col(Case.force),
        )
        .outerjoin(Comment, col(Comment.case_id) == Case.id)
        .where(col(Case.id).in_(ids))
    )
    found = {case_id: OldCase(*rest) for case_id, *rest in rows}
    return [found[case_id] for case_id in ids if case_id in found]


def compliance(cw: Casework, forces: tuple[str, ...], now: datetime) -> list[Compliance]:
    """SLA compliance per force and clock from the clock tallies; overdue runs counted on the open runs index."""
    t = clock_tallies.c
    labels = {spec.name: spec.label for spec in cw.workflow.clocks}
    totals: dict[tuple[str, str], Counter[str]] = {}
    with cw.reader() as uow:
        s = uow.session
        for force, clock, status, n in s.execute(
            select(t.force, t.clock, t.status, func.sum(t.clocks))
            .where(t.force.in_(forces))
            .group_by(t.force, t.clock, t.status)
        ):
            totals.setdefault((force, clock), Counter())[status] += int(n)
        c = _clocks.c
        # Running runs are overdue once past their deadline: those with a breach recorded are tallied
        # (and count as breached), the rest are the running tally less those not yet due (live work).
        for force, clock, n in s.execute(
            select(c.force, c.name, func.count())
            .where(c.stopped_at.is_(None), c.breached_at.is_(None), c.force.in_(forces), c.name.in_(sorted(labels)))
            .where(c.due_at > now)
            .group_by(c.force, c.name)
        ):
            totals.setdefault((force, clock), Counter())["not_due"] += n
    order = {spec.name: i for i, spec in enumerate(cw.workflow.clocks)}
    rows = [
        Compliance(
            force,
            clock,
            labels.get(clock, clock),
            n["met"],
            n["breached"] + n["overdue"],
            n["running"] + n["overdue"],
            n["running"] + n["overdue"] - n["not_due"],
        )
        for (force, clock), n in totals.items()
        if any(n.values())
    ]
    return sorted(rows, key=lambda x: (x.force, order.get(x.clock, 99)))
