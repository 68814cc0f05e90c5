"""Reading cases: one case with its evidence and context, and histories (lists are in listing and queue)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from casework.access.actors import Actor
from casework.cases.consultation import VIEWED
from casework.errors import CaseNotFound
from casework.storage.tables import Case, CaseEvent, CaseLink, Comment, User

if TYPE_CHECKING:
    from casework.runtime import Casework

LAST_PAGE = 1_000_000  # a bound for every list: a huge page number would overflow the SQL offset (a 500)
HISTORY_PAGE = 500  # events in a page of a case's history: every view of a case is one, and some have thousands


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    comment: Comment
    assignee: User | None
    author_cases: list[Case]
    linked: list[Case]
    events: list[CaseEvent] | None = None  # the timeline but its views, when asked for


@dataclass(frozen=True)
class CaseHistory:
    case: Case
    events: list[CaseEvent]  # a page of them, in chain order
    more: bool = False  # the case has events after the page's last


def case_in_force(session: Session, actor: Actor, reference: str) -> Case:
    """The case with this reference, if the actor acts for (or audits) its force.

    Another force's case is refused exactly as an unknown reference is, so a reference confirms nothing.
    """
    case = session.execute(select(Case).where(col(Case.reference) == reference)).scalar_one_or_none()
    if case is None or not actor.in_force(case.force):  # another force's case is answered as unknown
        raise CaseNotFound(f"no case {reference!r}")
    return case


def get_case(cw: Casework, actor: Actor, reference: str, with_events: bool = False) -> CaseDetail:
    """A case as its page shows it (with its timeline if asked); only for someone who acts for its force."""
    with cw.reader() as uow:
        s = uow.session
        case = case_in_force(s, actor, reference)
        assert case.id is not None  # a stored case has an id
        comment = s.get(Comment, case.id)
        assert comment is not None  # every case is stored with its comment
        assignee = s.get(User, case.assignee_id) if case.assignee_id else None
        author_cases: list[Case] = []
        if case.author_key:
            author_cases = list(
                s.execute(
                    select(Case)
                    .where(
                        col(Case.force) == case.force,
                        col(Case.author_key) == case.author_key,
                        col(Case.id) != case.id,
                    )
                    .order_by(col(Case.detected_at).desc())
                    .limit(50)
                ).scalars()
            )
        link_ids = s.execute(
            select(col(CaseLink.case_id), col(CaseLink.other_case_id)).where(
                or_(col(CaseLink.case_id) == case.id, col(CaseLink.other_case_id) == case.id)
            )
        ).all()
        other_ids = {a if b == case.id else b for a, b in link_ids}
        linked = list(s.execute(select(Case).where(col(Case.id).in_(other_ids))).scalars()) if other_ids else []
        if not with_events:
            return CaseDetail(case, comment, assignee, author_cases, linked)
        timeline = select(CaseEvent).where(col(CaseEvent.case_id) == case.id, col(CaseEvent.action) != VIEWED)
        events = list(s.execute(timeline.order_by(col(CaseEvent.seq))).scalars())
        return CaseDetail(case, comment, assignee, author_cases, linked, events)


def history(cw: Casework, actor: Actor, reference: str, *, after: int = 0, limit: int = HISTORY_PAGE) -> CaseHistory:
    """The case and a page of its events, oldest first: those after seq `after`, at most `limit` of them."""
    with cw.reader() as uow:
        case = case_in_force(uow.session, actor, reference)
        page = uow.session.execute(
            select(CaseEvent)
            .where(col(CaseEvent.case_id) == case.id, col(CaseEvent.seq) > after)
            .order_by(col(CaseEvent.seq))
            .limit(limit + 1)
        )
        events = list(page.scalars())
        return CaseHistory(case, events[:limit], more=len(events) > limit)


def last_seq(cw: Casework, case: Case) -> int:
    """The seq of the newest event of a case the caller may read: where a walk of its history pages ends."""
    with cw.reader() as uow:
        newest = select(func.max(col(CaseEvent.seq))).where(col(CaseEvent.case_id) == case.id)
        return uow.session.execute(newest).scalar_one() or 0


def action_counts(cw: Casework, case_id: int) -> dict[str, int]:
    """How many events of each action a case has (of a case the caller may read): a case's page counts its
    timeline's groups without reading them, however often the case was viewed."""
    with cw.reader() as uow:
        counted = uow.session.execute(
            select(col(CaseEvent.action), func.count())
            .where(col(CaseEvent.case_id) == case_id)
            .group_by(col(CaseEvent.action))
        )
        return dict(counted.all())


def newest_events(cw: Casework, case_id: int, actions: Collection[str], limit: int) -> list[CaseEvent]:
    """The newest `limit` events of these actions of a case the caller may read, newest first."""
    if not actions:
        return []
    with cw.reader() as uow:
        return list(
            uow.session.execute(
                select(CaseEvent)
                .where(col(CaseEvent.case_id) == case_id, col(CaseEvent.action).in_(sorted(actions)))
                .order_by(col(CaseEvent.seq).desc())
                .limit(limit)
            ).scalars()
        )


def users_by_id(cw: Casework, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    with cw.reader() as uow:
        users = uow.session.execute(select(User).where(col(User.id).in_(wanted))).scalars()
        return {u.id: u for u in users if u.id is not None}
