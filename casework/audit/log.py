"""The event log as overseers read it: filtered by case, user, action and date, newest first.

Pages are keyset pages (`before` a sequence number) without a count of the whole log: each walks an
index in sequence order from where the last stopped, so a page costs the same at a million cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Index, and_, or_, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from casework.access.actors import Actor
from casework.clock import LONDON
from casework.errors import PermissionDenied, ValidationError
from casework.runtime import Casework
from casework.storage.tables import Case, CaseEvent, User

READERS = frozenset({"auditor", "supervisor"})
MAX_PER_PAGE = 200
SUBJECT_KEYS = ("username", "user", "assignee")  # data keys naming the user a case-less event is about
LAST_SEQ = 2**62  # a bound for `before`: beyond it the SQL integer would overflow (a 500)
# The user and action filters walk their events newest first off these, however common or rare the value.
ACTOR_INDEX = Index("ix_case_events_actor_seq", col(CaseEvent.actor), col(CaseEvent.seq))
ACTION_INDEX = Index("ix_case_events_action_seq", col(CaseEvent.action), col(CaseEvent.seq))
# The kinds of event, one index probe each (a loose index scan) rather than a DISTINCT over every event.
_ACTIONS = text(
    "WITH RECURSIVE kinds(action) AS ("
    " SELECT min(action) FROM case_events"
    " UNION ALL SELECT (SELECT min(action) FROM case_events WHERE action > kinds.action)"
    " FROM kinds WHERE kinds.action IS NOT NULL"
    ") SELECT action FROM kinds WHERE action IS NOT NULL"
)


@dataclass(frozen=True)
class LogFilter:
    reference: str = ""
    user: str = ""
    action: str = ""
    since: date | None = None  # inclusive, a day in Europe/London
    until: date | None = None  # inclusive
    before: int | None = None  # the page starts at the newest event older than this sequence number
    per_page: int = 25


@dataclass(frozen=True)
class LogEntry:
    event: CaseEvent
    reference: str | None


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    more: bool  # older events match too
    before: int | None  # the page asked for, None for the newest

    @property
    def older(self) -> int | None:
        """The `before` of the next (older) page."""
        return self.entries[-1].event.seq if self.more and self.entries else None

    @property
    def whole(self) -> bool:
        """The page holds every match, so its length is their count."""
        return self.before is None and not self.more


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, LONDON).astimezone(UTC)


def _check(actor: Actor, flt: LogFilter) -> None:
    if not actor.roles & READERS:
        raise PermissionDenied("the event log is for auditors and supervisors")
    errors = {}
    if flt.since and flt.until and flt.since > flt.until:
        errors["until"] = "must not be before the start date"
    if flt.before is not None and not 1 <= flt.before <= LAST_SEQ:
        errors["before"] = f"an event number 1-{LAST_SEQ}"
    if not 1 <= flt.per_page <= MAX_PER_PAGE:
        errors["page"] = f"per page 1-{MAX_PER_PAGE}"
    for name in ("reference", "user", "action"):
        if len(getattr(flt, name)) > 100:
            errors[name] = "at most 100 characters"
    if errors:
        raise ValidationError(errors)


def _scope(session: Session, actor: Actor) -> ColumnElement[bool]:
    """Events about the actor's forces: their cases, and case-less events by or about their forces' users
    (users added, tokens, refusals, preferences) or naming one of their forces; auditors also see the
    system's own events about nobody (verifications, checkpoints)."""
    forces = sorted(actor.forces)
    people = [(u.id, u.username) for u in session.execute(select(User)).scalars() if set(u.forces) & actor.forces]
    names, ids = [name for _, name in people], [id_ for id_, _ in people]
    data = col(CaseEvent.data)
    subjects = {key: data[key].as_string() for key in SUBJECT_KEYS}
    user_id, force = data["user_id"].as_integer(), data["force"].as_string()
    about_theirs = or_(
        col(CaseEvent.actor).in_(names), *(s.in_(names) for s in subjects.values()), user_id.in_(ids), force.in_(forces)
    )
    caseless = [about_theirs]
    if "auditor" in actor.roles:
        about_nobody = and_(
            col(CaseEvent.actor).startswith("system:"),
            *(s.is_(None) for s in subjects.values()),
            user_id.is_(None),
            force.is_(None),
        )
        caseless.append(about_nobody)
    return or_(col(Case.force).in_(forces), and_(col(CaseEvent.case_id).is_(None), or_(*caseless)))


def search_events(cw: Casework, actor: Actor, flt: LogFilter) -> LogPage:
    """Events about the actor's forces (`_scope`), newest first, one keyset page (and whether more match)."""
    _check(actor, flt)
    with cw.reader() as uow:
        where = [_scope(uow.session, actor)]
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
        # A date filter pages in time order off the time index (an event's time and its place in the chain
        # differ for a breach recorded late); the others in chain order off the seq, actor or action index.
        order = (CaseEvent.at, CaseEvent.seq) if flt.since or flt.until else (CaseEvent.seq,)
        if flt.before is not None:
            where.append(_older_than(uow.session, flt.before, dated=len(order) == 2))
        rows = uow.session.execute(
            select(CaseEvent, col(Case.reference))
            .outerjoin(Case, col(Case.id) == col(CaseEvent.case_id))
            .where(*where)
            .order_by(*(col(c).desc() for c in order))
            .limit(flt.per_page + 1)  # one more than shown says whether an older page exists
        ).all()
    entries = [LogEntry(event, ref) for event, ref in rows[: flt.per_page]]
    return LogPage(entries, len(rows) > flt.per_page, flt.before)


def _older_than(session: Session, before: int, dated: bool) -> ColumnElement[bool]:
    """Events after `before` in the page's order: by sequence, or by time then sequence."""
    seq = col(CaseEvent.seq)
    if not dated:
        return seq < before
    at = session.execute(select(col(CaseEvent.at)).where(seq == before)).scalar_one_or_none()
    if at is None:
        return seq < before  # not an event: nothing sensible to page from but the sequence
    return and_(col(CaseEvent.at) <= at, or_(col(CaseEvent.at) < at, seq < before))


def event_actions(cw: Casework) -> list[str]:
    """The kinds of event the log holds, for the filter's choices."""
    with cw.reader() as uow:
        return list(uow.session.execute(_ACTIONS).scalars())
