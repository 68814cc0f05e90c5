"""Figures for the dashboard: open work by state and force, how old it is, and how cases ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlmodel import col

from casework.access.actors import Actor
from casework.cases.queue import EXCERPT
from casework.runtime import Casework
from casework.storage.tables import Case, Comment

AGE_BUCKETS = (
    ("under 1 h", timedelta(hours=1)),
    ("1–4 h", timedelta(hours=4)),
    ("4–24 h", timedelta(hours=24)),
    ("1–2 days", timedelta(days=2)),
    ("2–5 days", timedelta(days=5)),
    ("over 5 days", None),
)


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
    """Counts over the actor's forces only."""
    forces = tuple(sorted(actor.forces))
    final = [s.name for s in cw.workflow.states if s.final]
    mine = col(Case.force).in_(forces)
    is_open = col(Case.state).not_in(final)
    now = cw.now()
    with cw.reader() as uow:
        s = uow.session
        by_state_force = {
            (state, force): n
            for state, force, n in s.execute(
                select(col(Case.state), col(Case.force), func.count())
                .where(mine)
                .group_by(col(Case.state), col(Case.force))
            )
        }
        bounds = [limit for _, limit in AGE_BUCKETS if limit is not None]
        bucket = when(*[(col(Case.detected_at) > now - limit, i) for i, limit in enumerate(bounds)], else_=len(bounds))
        ages = dict(s.execute(select(bucket, func.count()).where(mine, is_open).group_by(bucket)).all())
        outcomes = {
            outcome or "none": n
            for outcome, n in s.execute(
                select(col(Case.outcome), func.count())
                .where(mine, col(Case.state).in_(final))
                .group_by(col(Case.outcome))
            )
        }
        oldest = [
            OldCase(*r)
            for r in s.execute(
                select(
                    col(Case.reference),
                    col(Case.state),
                    col(Case.detected_at),
                    func.substr(Comment.text, 1, EXCERPT),
                    col(Case.force),
                )
                .outerjoin(Comment, col(Comment.case_id) == Case.id)
                .where(mine, is_open)
                .order_by(col(Case.detected_at), col(Case.id))
                .limit(5)
            )
        ]
    return Dashboard(
        by_state_force, [(label, ages.get(i, 0)) for i, (label, _) in enumerate(AGE_BUCKETS)], outcomes, oldest, forces
    )
