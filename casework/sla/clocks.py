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
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from casework.access.actors import Actor
from casework.config import Settings
from casework.events import ClockRun
from casework.sla import marks
from casework.sla.calendars import calendar
from casework.sla.models import ALARM, SlaClock
from casework.sla.policy import WARN_FRACTION, Policy, Target
from casework.storage.driver import RowReader, insert_sql
from casework.storage.tables import table_of
from workflows.spec import Workflow

if TYPE_CHECKING:
    from casework.events import CaseChanged
    from casework.runtime import Casework
    from casework.storage.driver import Driver
    from casework.storage.uow import UnitOfWork

_clocks = table_of(SlaClock)


_RETURNED = ("id", "name", "force", "started_at", "warn_at", "due_at", "breached_at")
_read_stopped = RowReader(_clocks, _RETURNED)
_GIVEN = ("case_id", "name", "force", "calendar", "target_seconds", "started_at", "warn_at", "due_at", "alarm_at")
_INSERT_FIRST = insert_sql("sla_clocks", (*_GIVEN, "run"))
# A clock's next run: numbered after its last run, and only if no run is open (a clock that spans stages
# keeps running). Over no rows the aggregate still yields one row: run 1.
_START = (
    f"INSERT INTO sla_clocks (run, {', '.join(_GIVEN)}) "
    f"SELECT coalesce(max(run), 0) + 1, {', '.join('?' for _ in _GIVEN)} FROM sla_clocks "
    "WHERE case_id = ? AND name = ? HAVING count(stopped_at) = count(*) RETURNING name"
)


@cache
def _stop_statement(count: int) -> str:
    """Stop the open runs of `count` named clocks, saying what each run was."""
    return (
        "UPDATE sla_clocks SET stopped_at = ?, alarm_at = NULL "
        f"WHERE case_id = ? AND name IN ({', '.join('?' * count)}) AND stopped_at IS NULL "
        f"RETURNING {', '.join(_RETURNED)}"
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
        stopping, starting = self._moves(frozenset(events))
        if stopping:
            self._stop(uow, cw, change, stopping)
        if starting:
            self._start(uow.driver, change, starting)
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
        now, case, driver = change.at, change.case, uow.driver
        cursor = driver.execute(_stop_statement(len(names)), (driver.time(now), case.id, *names))
        stopped = [SimpleNamespace(**_read_stopped(driver, row)) for row in cursor.fetchall()]
        change.clock_runs.extend(
            ClockRun(c.name, c.force, c.started_at, c.due_at, now, c.breached_at is not None) for c in stopped
        )
        # Only a clock stopped after its warning (or due) time can have one left to record.
        late_warnings = [c.id for c in stopped if c.warn_at <= now]
        late_breaches = [c.id for c in stopped if c.due_at <= now]
        if not (late_warnings or late_breaches):
            return  # the usual stop, in time: no session is needed
        late = marks.mark(uow.session, marks.WARNING, late_warnings, now)
        late += marks.mark(uow.session, marks.BREACH, late_breaches, now)
        if late:
            # Announced for the stage the clock measured, and whoever held it: the case has moved on.
            held = marks.Stage(change.source or case.state, change.previous_assignee_id)
            marks.announce(uow, cw, late, {case.id: case}, now, "stop", stages={case.id: held})

    def _start(self, driver: Driver, change: CaseChanged, names: tuple[str, ...]) -> None:
        """New runs: a new case's are its first, in one statement; otherwise the database numbers each run and
        skips a clock still running (one that spans stages), saying which it started."""
        case, now = change.case, change.at
        rows = []
        for name in names:
            target = self.policy.target(case.force, name)
            times = deadlines(target, now)
            rows.append(
                dict(
                    case_id=case.id,
                    name=name,
                    force=case.force,
                    calendar=target.calendar,
                    started_at=now,
                    alarm_at=times["warn_at"],
                    **times,
                )
            )
        stored = [driver.values(row[name] for name in _GIVEN) for row in rows]
        if change.kind == "flagged":
            driver.executemany(_INSERT_FIRST, [(*values, 1) for values in stored])
            started = set(names)
        else:
            started = {
                started
                for values, name in zip(stored, names, strict=True)
                for (started,) in driver.execute(_START, (*values, case.id, name)).fetchall()
            }
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
        c = _clocks.c
        open_runs = session.execute(
            select(c.id, c.name, c.started_at, c.warn_at, c.due_at).where(
                c.case_id == case.id, c.name.in_(names), c.stopped_at.is_(None), c.breached_at.is_(None)
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
            session.execute(update(_clocks).where(c.id == clock_id).values(**times))
            due[name] = times["due_at"].isoformat()
        if open_runs:  # the alarms follow the new times (an UPDATE's SET reads the row as it was)
            moved = [row.id for row in open_runs]
            session.execute(update(_clocks).where(c.id.in_(moved)).values(alarm_at=ALARM))
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
