"""Starting and stopping SLA clocks inside the transaction of the intake or transition that moves them.

Which event starts or stops which clock is data (`Workflow.clocks`): "intake", "enter:<state>",
"leave:<state>" and "trigger:<name>". A clock already running is not started again, so clocks that
span stages keep running through `request_information` loops. A clock stopped after its warning or
due time, before a sweep noticed, gets its warning and breach recorded at the stop, at their true times.
Reopening (closed -> admin_review) starts new runs of review decision, crime-recording decision and
end to end: the reopened case is live work again; the first runs keep their results.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import BindParameter, bindparam, func, insert, select, update
from sqlalchemy.sql.dml import ReturningUpdate

from casework.access.actors import Actor
from casework.config import Settings
from casework.events import ClockRun
from casework.sla import marks
from casework.sla.calendars import calendar
from casework.sla.models import SlaClock
from casework.sla.policy import WARN_FRACTION, Policy, Target
from casework.storage.tables import table_of
from workflows.spec import Workflow

if TYPE_CHECKING:
    from sqlmodel import Session

    from casework.events import CaseChanged
    from casework.runtime import Casework
    from casework.storage.uow import UnitOfWork

_clocks = table_of(SlaClock)


@cache
def _stop_statement(count: int) -> ReturningUpdate[Any]:
    """Stop the open runs of `count` named clocks (names bound as name_0...: no list expanded per call)."""
    names: list[BindParameter[str]] = [bindparam(f"name_{i}") for i in range(count)]
    return (
        update(_clocks)
        .where(_clocks.c.case_id == bindparam("of_case"), _clocks.c.name.in_(names), _clocks.c.stopped_at.is_(None))
        .values(stopped_at=bindparam("now"))
        .returning(
            _clocks.c.id,
            _clocks.c.name,
            _clocks.c.force,
            _clocks.c.started_at,
            _clocks.c.warn_at,
            _clocks.c.due_at,
            _clocks.c.breached_at,
        )
    )


_INSERT = insert(_clocks)
_GIVEN = ("case_id", "name", "force", "calendar", "target_seconds", "started_at", "warn_at", "due_at")
# A clock's next run, in one statement per batch: numbered after its last run, and only if no run is open
# (a clock that spans stages keeps running). Over no rows the aggregate still yields one row: run 1.
_START = (
    insert(_clocks)
    .from_select(
        ["run", *_GIVEN],
        select(
            func.coalesce(func.max(_clocks.c.run), 0) + 1,
            *(bindparam(name, type_=_clocks.c[name].type) for name in _GIVEN),
        )
        .where(_clocks.c.case_id == bindparam("case_id"), _clocks.c.name == bindparam("name"))
        .having(func.count(_clocks.c.stopped_at) == func.count()),
    )
    .returning(_clocks.c.name)
)


def events_of(change: CaseChanged) -> set[str]:
    """The workflow events a change stands for, in the vocabulary of `ClockSpec`."""
    if change.kind == "flagged":
        return {"intake", f"enter:{change.case.state}"}
    if change.kind == "transitioned":
        return {f"trigger:{change.trigger}", f"leave:{change.source}", f"enter:{change.dest}"}
    return set()


def deadlines(target: Target, start: datetime, threat_to_life: bool = False) -> dict[str, Any]:
    """Warning and due times of a run started at `start`, measured on the target's calendar."""
    duration = target.for_case(threat_to_life)
    cal = calendar(target.calendar)
    return {
        "target_seconds": int(duration.total_seconds()),
        "warn_at": cal.add(start, duration * WARN_FRACTION),
        "due_at": cal.add(start, duration),
    }


class ClockKeeper:
    """The SLA handler; its policy is built, and so checked, when the runtime starts."""

    def __init__(self, settings: Settings, workflow: Workflow) -> None:
        self.policy = Policy.load(settings, workflow)
        self.specs = workflow.clocks
        self._known_moves: dict[frozenset[str], tuple[tuple[str, ...], tuple[str, ...]]] = {}  # bounded by the workflow

    def on_case_changed(self, uow: UnitOfWork, change: CaseChanged, cw: Casework) -> None:
        events = events_of(change)
        if not events:
            return
        session = uow.session
        stopping, starting = self._moves(frozenset(events))
        if stopping:
            self._stop(uow, cw, change, stopping)
        if starting:
            self._start(session, change, starting)
        if "threat_to_life" in change.inputs and (
            change.inputs["threat_to_life"] or change.previous_threat_to_life is not False
        ):
            self._retarget(uow, cw, change, bool(change.inputs["threat_to_life"]))

    def _moves(self, events: frozenset[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The clocks these workflow events stop and start, from the declaration (worked out once per set)."""
        moves = self._known_moves.get(events)
        if moves is None:
            stopping = tuple(s.name for s in self.specs if events.intersection(s.stops_on))
            starting = tuple(s.name for s in self.specs if events.intersection(s.starts_on))
            moves = self._known_moves[events] = (stopping, starting)
        return moves

    def _stop(self, uow: UnitOfWork, cw: Casework, change: CaseChanged, names: tuple[str, ...]) -> None:
        now, case = change.at, change.case
        named = {f"name_{i}": name for i, name in enumerate(names)}
        stopped = (
            uow.session.connection()
            .execute(_stop_statement(len(names)), {"of_case": case.id, "now": now, **named})
            .all()
        )
        change.clock_runs.extend(
            ClockRun(c.name, c.force, c.started_at, c.due_at, now, c.breached_at is not None) for c in stopped
        )
        # Only a clock stopped after its warning (or due) time can have one left to record.
        late_warnings = [c.id for c in stopped if c.warn_at <= now]
        late_breaches = [c.id for c in stopped if c.due_at <= now]
        late = marks.mark(uow.session, marks.WARNING, late_warnings, now) + marks.mark(
            uow.session, marks.BREACH, late_breaches, now
        )
        if late:
            # Announced for the stage the clock measured, and whoever held it: the case has moved on.
            held = marks.Stage(change.source or case.state, change.previous_assignee_id)
            marks.announce(uow, cw, late, {case.id: case}, now, "stop", stages={case.id: held})

    def _start(self, session: Session, change: CaseChanged, names: tuple[str, ...]) -> None:
        """New runs: a new case's are its first, in one statement; otherwise the database numbers each run and
        skips a clock still running (one that spans stages), saying which it started."""
        case, now = change.case, change.at
        rows = []
        for name in names:
            target = self.policy.target(case.force, name)
            rows.append(
                dict(
                    case_id=case.id,
                    name=name,
                    force=case.force,
                    calendar=target.calendar,
                    started_at=now,
                    **deadlines(target, now),
                )
            )
        if change.kind == "flagged":
            session.connection().execute(_INSERT, [{**row, "run": 1} for row in rows])
            started = set(names)
        else:
            started = {n for row in rows for n in session.connection().execute(_START, row).scalars()}
        change.clock_runs.extend(
            ClockRun(row["name"], case.force, now, row["due_at"]) for row in rows if row["name"] in started
        )

    def _retarget(self, uow: UnitOfWork, cw: Casework, change: CaseChanged, threat_to_life: bool) -> None:
        """A threat-to-life referral brings the deadline forward to its target from the referral (SPEC §4).

        The ordinary deadline stays if it is sooner, and so does an earlier threat-to-life deadline; a
        referral without threat to life restores the ordinary deadline, measured from the clock's start; after
        one without (or none at all) every deadline is ordinary already, so the next one without reads nothing.
        """
        case, session = change.case, uow.session
        names = [s.name for s in self.specs if s.threat_to_life_target is not None]
        open_runs = session.execute(
            select(_clocks.c.id, _clocks.c.name, _clocks.c.started_at, _clocks.c.warn_at, _clocks.c.due_at).where(
                _clocks.c.case_id == case.id,
                _clocks.c.name.in_(names),
                _clocks.c.stopped_at.is_(None),
                _clocks.c.breached_at.is_(None),
            )
        ).all()  # a recorded breach is history: its deadline stays
        due = {}
        for clock_id, name, started_at, warn_at, due_at in open_runs:
            target = self.policy.target(case.force, name)
            times = deadlines(target, started_at)
            if threat_to_life:
                current = {**times, "warn_at": warn_at, "due_at": due_at}
                urgent = deadlines(target, change.at, threat_to_life=True)
                times = min(current, urgent, key=lambda t: t["due_at"])
            session.execute(update(_clocks).where(_clocks.c.id == clock_id).values(**times))
            due[name] = times["due_at"].isoformat()
        if threat_to_life:
            _escalate(uow, cw, change, due)


def _escalate(uow: UnitOfWork, cw: Casework, change: CaseChanged, due: dict[str, str]) -> None:
    """A threat-to-life referral goes to the force's supervisors at once (notifications act on `escalated`)."""
    actor = Actor.system("sla", cw.settings.forces)
    data = {"reason": "threat_to_life", "due_at": due}
    uow.record(
        "escalated",
        at=change.at,
        actor=actor.username,
        role="system",
        case=change.case,
        from_state=change.dest,
        to_state=change.dest,
        data=data,
    )
    cw.publish(
        uow,
        dataclasses.replace(change, kind="escalated", actor=actor, trigger=None, source=None, dest=None, inputs=data),
    )
