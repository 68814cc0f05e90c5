"""Summary rows kept in the action's transaction, so the dashboard reads a few rows, not every case.

`case_tallies` counts cases by force, state and outcome; `clock_tallies` counts SLA clock runs by
force, clock, the UTC day they started and status (running, met, breached). Each change adds its
deltas with one upsert per table (INSERT ... ON CONFLICT DO UPDATE, the same on SQLite and
PostgreSQL), written at commit (`UnitOfWork.at_commit`) so a tally row is locked only as briefly as
the chain head. The handler runs after the SLA clock keeper, which reports the runs it started and
stopped on the change (`CaseChanged.clock_runs`), so no clock row is read back.

Each key is striped over up to `SLOTS` rows: a PostgreSQL connection adds to a slot it claimed for
its life (the lowest free, by a session advisory lock; SQLite, one writer at a time, always 0), so
concurrent writers of one force never share a row, and every reader sums over the slots (as many
rows a key as backends ever wrote at once).
`recount` recomputes both from scratch, for `differences` (a check) and the migration that fills them.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    cast,
    func,
    or_,
    select,
    text,
)
from sqlalchemy import case as when
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from casework.sla.models import SlaClock
from casework.storage.tables import Case, CaseEvent, table_of
from workflows import A017
from workflows.effects import Action
from workflows.spec import Workflow

if TYPE_CHECKING:
    from casework.events import CaseChanged
    from casework.runtime import Casework
    from casework.storage.uow import UnitOfWork

metadata: MetaData = SQLModel.metadata
case_tallies = Table(
    "case_tallies",
    metadata,
    Column("force", String(40), primary_key=True),
    Column("state", String(40), primary_key=True),
    Column("outcome", String(40), primary_key=True),  # of ended cases; "" for none (a key cannot be NULL)
    Column("slot", Integer, primary_key=True, autoincrement=False, default=0),
    Column("cases", Integer, nullable=False),
)
clock_tallies = Table(
    "clock_tallies",
    metadata,
    Column("force", String(40), primary_key=True),
    Column("clock", String(60), primary_key=True),
    Column("status", String(10), primary_key=True),  # running | overdue (breach recorded) | met | breached
    Column("day", Date, primary_key=True),  # the UTC day the run started, for compliance over a period
    Column("slot", Integer, primary_key=True, autoincrement=False, default=0),
    Column("clocks", Integer, nullable=False),
)
_clocks, _cases, _events = table_of(SlaClock), table_of(Case), table_of(CaseEvent)
CaseKey = tuple[str, str, str]
ClockKey = tuple[str, str, date, str]
SLOTS = 16
# The lowest slot no live backend holds, taken until the connection closes (Limit stops the scan at the
# first lock taken); with all SLOTS held, the pid's, shared with its holder.
_CLAIM_SLOT = text(
    "SELECT coalesce((SELECT s FROM generate_series(0, :last) AS s "
    "WHERE pg_try_advisory_lock(hashtext('casework.tally_slots'), s) LIMIT 1), pg_backend_pid() % (:last + 1))"
)


def _keys(table: Table) -> list[str]:
    """What a tally counts by: its primary key but the slot."""
    return [c.name for c in table.primary_key.columns if c.name != "slot"]


def _upsert(table: Table, columns: tuple[str, ...]) -> str:
    """Add each row's delta to its key's count in its slot, creating the row if new (the same SQL on both databases).

    `columns` are the key's, in the order of the change's keys, then the count; the slot goes before the count.
    """
    *key, count = columns
    names = ", ".join((*key, "slot"))
    return (
        f"INSERT INTO {table.name} ({names}, {count}) VALUES ({', '.join('?' * (len(key) + 2))}) "
        f"ON CONFLICT ({names}) DO UPDATE SET {count} = {table.name}.{count} + excluded.{count}"
    )


_ADD_CASES = _upsert(case_tallies, ("force", "state", "outcome", "cases"))
_ADD_CLOCKS = _upsert(clock_tallies, ("force", "clock", "day", "status", "clocks"))  # a `ClockKey`, then the count
_TRANSITIONS = (
    select(_events.c.at, _events.c.data)
    .where(_events.c.case_id == bindparam("case_id"), _events.c.action == "transition")
    .order_by(_events.c.seq)
)


def cases_in(session: Session, forces: Sequence[str], states: Sequence[str]) -> int:
    """How many cases of these forces are in these states, from the tallies: no count of the cases."""
    total = select(func.coalesce(func.sum(case_tallies.c.cases), 0)).where(
        case_tallies.c.force.in_(forces), case_tallies.c.state.in_(states)
    )
    return int(session.execute(total).scalar_one())


def clock_status(stopped_at: datetime | None, due_at: datetime, breached_at: datetime | None) -> str:
    if stopped_at is None:
        return "running" if breached_at is None else "overdue"
    return "breached" if breached_at is not None or stopped_at >= due_at else "met"


def on_case_changed(uow: UnitOfWork, change: CaseChanged, cw: Casework) -> None:
    """Move the case between state (and, once ended, outcome) tallies, and its clock runs between statuses."""
    if change.kind == "sla_breach":
        _breached(uow, change)
        return
    if change.kind not in ("flagged", "transitioned"):
        return
    connection = uow.connection
    case, final = change.case, cw.workflow.finals
    cases: Counter[CaseKey] = Counter(
        {(case.force, case.state, (case.outcome or "") if case.state in final else ""): 1}
    )
    if change.kind == "transitioned":
        before = _outcome_before(connection, change, cw) if change.source in final else ""
        cases[(case.force, change.source or "", before)] -= 1
    _add_at_commit(uow, _ADD_CASES, cases)
    _add_at_commit(uow, _ADD_CLOCKS, _clock_deltas(change))


def _clock_deltas(change: CaseChanged) -> Counter[ClockKey]:
    """The runs this change started and stopped, as the clock keeper reported them (nothing read back)."""
    deltas: Counter[ClockKey] = Counter()
    for run in change.clock_runs:
        day = run.started_at.date()
        if run.stopped_at is None:
            deltas[(run.force, run.name, day, "running")] += 1
            continue
        deltas[(run.force, run.name, day, "overdue" if run.breached_before else "running")] -= 1
        breached_at = run.stopped_at if run.breached_before else None
        deltas[(run.force, run.name, day, clock_status(run.stopped_at, run.due_at, breached_at))] += 1
    return deltas


def _breached(uow: UnitOfWork, change: CaseChanged) -> None:
    """A sweep recorded a running run's breach: it moves from running to overdue (one stopped late was
    stopped first, and counts as breached at its stop)."""
    if change.inputs.get("noticed") == "stop":
        return
    moved: Counter[ClockKey] = Counter()
    for run in change.clock_runs:  # the run the sweep marked, as it marked it (nothing read back)
        key = (run.force, run.name, run.started_at.date())
        moved.update({(*key, "running"): -1, (*key, "overdue"): 1})
    _add_at_commit(uow, _ADD_CLOCKS, moved)


def _add_at_commit(uow: UnitOfWork, upsert: str, deltas: Counter[Any]) -> None:
    """Add a change's deltas to its transaction's, all written by one statement at commit."""
    uow.gathered(upsert, Counter, lambda pending: _add(uow, upsert, pending)).update(deltas)


def _add(uow: UnitOfWork, upsert: str, deltas: Counter[Any]) -> None:
    """One statement for all of a transaction's deltas, its rows sent as parameters: (key..., slot, delta)."""
    if not any(deltas.values()):
        return
    driver, slot = uow.driver, _slot(uow.connection)
    driver.executemany(upsert, [driver.values((*key, slot, n)) for key, n in deltas.items() if n])


def _slot(connection: Connection) -> int:
    """The slot this connection writes to, claimed at its first write (SQLite: 0)."""
    if connection.dialect.name != "postgresql":
        return 0
    if "tally_slot" not in connection.info:  # kept with the DBAPI connection, across checkouts from the pool
        connection.info["tally_slot"] = connection.execute(_CLAIM_SLOT, {"last": SLOTS - 1}).scalar_one()
    slot: int = connection.info["tally_slot"]
    return slot


def _outcome_before(connection: Connection, change: CaseChanged, cw: Casework) -> str:
    """The outcome an ended case had before this transition took it out (a reopen clears it).

    Its earlier transitions are replayed on a copy to find it: a reopen is rare, and a case has few events.
    """
    before = copy.deepcopy(change.case)
    before.outcome = None
    for at, data in connection.execute(_TRANSITIONS, {"case_id": change.case.id}):
        earlier = cw.workflow.transition((data or {}).get("trigger", ""))
        if earlier is not None:
            for effect in earlier.effects:
                effect(Action(before, earlier.trigger, None, (data or {}).get("inputs") or {}, at))
    return before.outcome or ""


def _day(connection: Connection) -> Any:
    """The UTC day a run started, in SQL (SQLite keeps UTC times as text, PostgreSQL as timestamptz)."""
    if connection.dialect.name == "sqlite":
        return func.date(_clocks.c.started_at)
    return cast(func.timezone("UTC", _clocks.c.started_at), Date)


def recount(connection: Connection, workflow: Workflow = A017) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Both tallies computed from scratch with GROUP BY over cases and sla_clocks."""
    ended = _cases.c.state.in_(sorted(workflow.finals))
    outcome = when((ended, func.coalesce(_cases.c.outcome, "")), else_="")
    cases = connection.execute(
        select(_cases.c.force, _cases.c.state, outcome, func.count()).group_by(_cases.c.force, _cases.c.state, outcome)
    )
    c = _clocks.c
    late = or_(c.breached_at.is_not(None), c.stopped_at >= c.due_at)
    status = when(
        (and_(c.stopped_at.is_(None), c.breached_at.is_(None)), "running"),
        (c.stopped_at.is_(None), "overdue"),
        (late, "breached"),
        else_="met",
    )
    day = _day(connection)
    clocks = connection.execute(
        select(c.force, c.name, day, status, func.count()).group_by(c.force, c.name, day, status)
    )
    return [{"force": f, "state": s, "outcome": o, "cases": n} for f, s, o, n in cases], [
        {
            "force": f,
            "clock": name,
            "day": d if isinstance(d, date) else date.fromisoformat(d),
            "status": st,
            "clocks": n,
        }
        for f, name, d, st, n in clocks
    ]


def stored(connection: Connection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Both tallies as kept, summed over the slots, without the keys that fell to zero."""
    return _summed(connection, case_tallies, "cases"), _summed(connection, clock_tallies, "clocks")


def _summed(connection: Connection, table: Table, count: str) -> list[dict[str, Any]]:
    by = [table.c[name] for name in _keys(table)]
    total = func.sum(table.c[count])
    rows = connection.execute(select(*by, total.label(count)).group_by(*by).having(total != 0))
    return [dict(r._mapping) for r in rows]


def differences(connection: Connection) -> list[str]:
    """What the kept tallies get wrong against a recount (empty when they agree)."""
    found = []
    for name, count, kept, fresh in zip(
        ("case_tallies", "clock_tallies"), ("cases", "clocks"), stored(connection), recount(connection), strict=True
    ):
        have, want = _by_key(kept, count), _by_key(fresh, count)
        for key in sorted(set(have) | set(want), key=str):
            if have.get(key, 0) != want.get(key, 0):
                found.append(f"{name} {key}: kept {have.get(key, 0)}, recounted {want.get(key, 0)}")
    return found


def _by_key(rows: list[dict[str, Any]], count: str) -> dict[tuple[Any, ...], int]:
    names = _keys(case_tallies if count == "cases" else clock_tallies)
    return {tuple(r[name] for name in names): r[count] for r in rows}


def refill(connection: Connection) -> None:
    """Replace both tallies by a recount, all in slot 0 (`audit tallies --repair`, the bench's loader)."""
    cases, clocks = recount(connection)
    connection.execute(case_tallies.delete())
    connection.execute(clock_tallies.delete())
    if cases:
        connection.execute(case_tallies.insert(), cases)
    if clocks:
        connection.execute(clock_tallies.insert(), clocks)
