"""The team queue: cases at the stages the actor's roles own, soonest deadline first, filtered and paginated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Index, exists, func, select
from sqlalchemy.orm import Mapped, Session
from sqlmodel import col

from casework.access.actors import Actor
from casework.access.users import find_user
from casework.cases import tallies
from casework.cases.listing_indexes import unindexed
from casework.cases.queries import LAST_PAGE
from casework.errors import ValidationError
from casework.runtime import Casework
from casework.sla.models import SlaClock
from casework.sla.queries import ClockView, next_due
from casework.storage.tables import Case, Comment, User, table_of

MAX_PER_PAGE = 100
COUNT_CAP = 10_000  # an assignee's queue is counted this far, then shown as "10000+"
EXCERPT = 160
OVERSEERS = frozenset({"supervisor", "auditor"})
DRIVE_FROM_CLOCKS = 1000  # above this many matching cases, a page is read in deadline order, not sorted

# The queue filters on force and state and orders by detection time: one index answers all three,
# so a page costs an index range scan plus a handful of row look-ups whatever the table's size.
QUEUE_INDEX = Index("ix_cases_queue", col(Case.force), col(Case.state), col(Case.detected_at), col(Case.id))

# The case id as a column to select: SQLModel types it `int | None` (unset before insert); stored cases have one.
_CASE_ID = cast("Mapped[int]", col(Case.id))


@dataclass(frozen=True)
class QueueFilter:
    state: str = ""
    force: str = ""
    assignee: str = ""  # "", "mine", "unassigned" or a username
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class QueueRow:
    reference: str
    force: str
    platform: str
    state: str
    detected_at: datetime
    threat_to_life: bool
    assignee: str | None
    author_handle: str | None
    excerpt: str | None
    due: ClockView | None = None  # the running SLA clock due soonest
    version: int = 0  # as loaded, for the version check of a bulk action


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    per_page: int
    states: tuple[str, ...]  # the states this actor's queue may show
    more: bool = False  # `total` is where counting stopped (COUNT_CAP): there are more

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page)) + (1 if self.more else 0)


def queue_states(cw: Casework, actor: Actor) -> tuple[str, ...]:
    """The states whose cases this actor's queue holds by default."""
    open_states = [s for s in cw.workflow.states if not s.final]
    if actor.roles & OVERSEERS:
        return tuple(s.name for s in open_states)
    return tuple(s.name for s in open_states if s.owner_role in actor.roles)


def filter_states(cw: Casework, actor: Actor) -> tuple[str, ...]:
    """States the actor may pick in the filter: their queue's, and closed cases for overseers."""
    extra = tuple(s.name for s in cw.workflow.states if s.final) if actor.roles & OVERSEERS else ()
    return queue_states(cw, actor) + extra


def team_queue(cw: Casework, actor: Actor, flt: QueueFilter) -> QueuePage:
    """One page of the actor's queue; only cases of the actor's forces."""
    allowed = filter_states(cw, actor)
    errors: dict[str, str] = {}
    if flt.state and flt.state not in allowed:
        errors["state"] = f"choose from: {', '.join(allowed) or 'none for your roles'}"
    if flt.force and flt.force not in actor.forces:
        errors["force"] = f"choose from: {', '.join(sorted(actor.forces))}"
    if not 1 <= flt.page <= LAST_PAGE or not 1 <= flt.per_page <= MAX_PER_PAGE:
        errors["page"] = f"page 1-{LAST_PAGE}, per page 1-{MAX_PER_PAGE}"
    if errors:
        raise ValidationError(errors)
    states = (flt.state,) if flt.state else queue_states(cw, actor)
    forces = (flt.force,) if flt.force else tuple(sorted(actor.forces))
    where: list[ColumnElement[bool]] = [col(Case.force).in_(forces), col(Case.state).in_(states)]
    with cw.reader() as uow:
        s = uow.session
        if flt.assignee == "mine":
            where.append(col(Case.assignee_id) == actor.id)
        elif flt.assignee == "unassigned":
            where.append(col(Case.assignee_id).is_(None))
        elif flt.assignee:
            user = find_user(s, flt.assignee)
            if user is None:
                raise ValidationError({"assignee": f"no user {flt.assignee!r}"})
            where.append(col(Case.assignee_id) == user.id)
        if not states:
            return QueuePage([], 0, flt.page, flt.per_page, allowed)
        # Without an assignee the total is the tallies' (flat in the data); an assignee's cases are counted up to
        # COUNT_CAP (the unassigned cases of a large force can be many).
        more = False
        if len(where) == 2:
            total = tallies.cases_in(s, forces, states)
        else:
            matching = select(_CASE_ID).where(*where).limit(COUNT_CAP + 1).subquery()
            total = s.execute(select(func.count()).select_from(matching)).scalar_one()
            total, more = min(total, COUNT_CAP), total > COUNT_CAP
        start = (flt.page - 1) * flt.per_page
        if all(cw.workflow.state(name).final for name in states):  # closed cases: newest first
            ids = list(
                s.execute(
                    select(_CASE_ID)
                    .where(*where)
                    .order_by(col(Case.detected_at).desc(), col(Case.id).desc())
                    .offset(start)
                    .limit(flt.per_page)
                ).scalars()
            )
        else:
            ids = _due_page(s, where, start, flt.per_page, max(1, len(cw.workflow.clocks)), total > DRIVE_FROM_CLOCKS)
        rows = (
            s.execute(
                select(
                    _CASE_ID,
                    col(Case.reference),
                    col(Case.force),
                    col(Case.platform),
                    col(Case.state),
                    col(Case.detected_at),
                    col(Case.threat_to_life),
                    col(User.username),
                    col(Comment.author_handle),
                    func.substr(Comment.text, 1, EXCERPT),
                    col(Case.version),
                )
                .outerjoin(User, col(User.id) == Case.assignee_id)
                .outerjoin(Comment, col(Comment.case_id) == Case.id)
                .where(col(Case.id).in_(ids))
            ).all()
            if ids
            else []
        )
    due = next_due(cw, ids)
    by_id = {
        case_id: QueueRow(
            ref, force, platform, state, detected_at, threat, assignee, handle, excerpt, due.get(case_id), version
        )
        for case_id, ref, force, platform, state, detected_at, threat, assignee, handle, excerpt, version in rows
    }
    return QueuePage([by_id[i] for i in ids], total, flt.page, flt.per_page, allowed, more)


def _due_page(
    s: Session,
    where: Sequence[ColumnElement[bool]],
    start: int,
    size: int,
    clocks_per_case: int,
    walk: bool,
) -> list[int]:
    """Case ids of one page, soonest running deadline first, cases without a running clock last (oldest first).

    With many matching cases (`walk`) the open clocks are read in deadline order (a partial index) and each
    one's case tested by a correlated subquery, which neither planner turns into a join: a join lets
    PostgreSQL hash every open clock and SQLite sort the force's cases, both growing with the data. Each
    case's first, soonest, clock is kept; a case runs at most `clocks_per_case` clocks at once, so that
    many rows per wanted case always suffice, and a page costs the same whatever the number of cases.
    With few matching cases, their clocks are read off them and sorted.
    """
    limit = (start + size) * clocks_per_case
    if walk:
        matches = select(_CASE_ID).where(col(Case.id) == SlaClock.case_id, *where).scalar_subquery().is_not(None)
        query = select(col(SlaClock.case_id)).where(col(SlaClock.stopped_at).is_(None), matches)
    else:  # SQLite would walk every open clock (a LIMIT and an index in its order) unless told `+stopped_at`
        stopped = table_of(SlaClock).c.stopped_at
        open_clock = (unindexed(stopped) if s.get_bind().dialect.name == "sqlite" else stopped).is_(None)
        query = select(col(SlaClock.case_id)).join(Case, col(Case.id) == SlaClock.case_id).where(open_clock, *where)
    scanned = list(s.execute(query.order_by(col(SlaClock.due_at), col(SlaClock.id)).limit(limit)).scalars())
    ordered = list(dict.fromkeys(scanned))
    page = ordered[start : start + size]
    if len(page) < size and len(scanned) < limit:  # every case with a running clock is in `ordered`
        running = exists(
            select(col(SlaClock.id)).where(col(SlaClock.case_id) == Case.id, col(SlaClock.stopped_at).is_(None))
        )
        page += s.execute(
            select(_CASE_ID)
            .where(*where, ~running)
            .order_by(col(Case.detected_at), col(Case.id))
            .offset(max(0, start - len(ordered)))
            .limit(size - len(page))
        ).scalars()
    return page
