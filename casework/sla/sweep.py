"""One sweep: claim due warnings and breaches by index, mark each once, announce each at its true time.

A run's `alarm_at` is when the sweep next has something to mark on it (its warning time, then its
deadline), so one index holds everything due and nothing else.

Several processes may sweep (a worker, web processes with an embedded scheduler): on PostgreSQL the
pass takes a transaction-level advisory lock and skips if another sweeper holds it, and claims rows
with FOR UPDATE SKIP LOCKED; on SQLite BEGIN IMMEDIATE already serialises writers. Either way the
conditional UPDATE in `marks.mark` is what guarantees exactly once. Work is done in bounded batches,
each in its own transaction, so catching up after a long outage commits as it goes.

Each force is swept on its own: a force missing from the forces file, or one whose batch fails, is
skipped and logged as an error naming it, and every other force still gets its warnings and breaches.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, text, update
from sqlmodel import Session

from casework.runtime import Casework
from casework.sla import marks
from casework.sla.marks import Mark
from casework.sla.models import ALARM, SlaClock
from casework.storage.tables import Case, table_of

log = logging.getLogger(__name__)
BATCH = 500
SWEEP_LOCK = zlib.crc32(b"casework.sla.sweep")  # one key for every sweeper of this database
_clocks, _cases = table_of(SlaClock), table_of(Case)


@dataclass
class SweepResult:
    """What one sweep did; `skipped` when another process held the sweep lock."""

    marks: list[Mark] = field(default_factory=list)
    skipped: bool = False
    skipped_forces: dict[str, str] = field(default_factory=dict)  # force -> why it was not swept

    @property
    def warnings(self) -> list[Mark]:
        return [m for m in self.marks if m.kind == marks.WARNING]

    @property
    def breaches(self) -> list[Mark]:
        return [m for m in self.marks if m.kind == marks.BREACH]


def _due_ids(session: Session, now: datetime, limit: int, force: str) -> list[int]:
    """Runs of the force with a warning or a breach to mark by `now`, soonest first (the alarm index)."""
    query = (
        select(_clocks.c.id)
        .where(_clocks.c.alarm_at <= now, _clocks.c.force == force)
        .order_by(_clocks.c.alarm_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.execute(query).scalars())


def _take_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken: bool = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK}).scalar_one()
    return taken


def sweep_batch(cw: Casework, now: datetime, force: str, batch: int = BATCH) -> tuple[list[Mark], bool, bool]:
    """One transaction for one force: (marks made, whether more may be due, whether the lock was taken)."""
    with cw.uow() as uow:
        session = uow.session
        if not _take_lock(session):
            return [], False, False
        ids = _due_ids(session, now, batch, force)
        made = marks.mark(session, marks.WARNING, ids, now) + marks.mark(session, marks.BREACH, ids, now)
        if ids:  # each run's next alarm: its deadline once warned, none once breached
            session.execute(update(_clocks).where(_clocks.c.id.in_(ids)).values(alarm_at=ALARM))
        if made:
            rows = session.execute(select(_cases).where(_cases.c.id.in_({m.case_id for m in made}))).all()
            marks.announce(uow, cw, made, {r.id: r for r in rows}, now, "sweep")
        uow.commit()
        return made, len(ids) == batch, True


def forces_due(cw: Casework, now: datetime) -> set[str]:
    """The forces with a warning or breach due: a read-only look, so an idle sweep takes no write lock."""
    with cw.reader() as uow:
        due = select(_clocks.c.force).where(_clocks.c.alarm_at <= now).distinct()
        return set(uow.session.execute(due).scalars())


def sweep(cw: Casework, batch: int = BATCH, now: datetime | None = None) -> SweepResult:
    """Sweep each force until nothing is due at `now` (the clock's time by default)."""
    now = now or cw.now()
    result = SweepResult()
    for force in sorted(forces_due(cw, now)):
        if force not in cw.settings.forces:
            _skip(result, force, "it has running clocks but is not in the forces file")
            continue
        try:
            if not _sweep_force(cw, force, now, batch, result):
                log.info("SLA sweep skipped: another process is sweeping")
                result.skipped = True
                break
        except Exception as exc:  # one force's failure must not stop the others' warnings and breaches
            log.exception("SLA sweep of force %s failed", force)
            _skip(result, force, f"{type(exc).__name__}: {exc}")
    if result.marks:
        log.info("SLA sweep: %d warnings, %d breaches", len(result.warnings), len(result.breaches))
    return result


def _sweep_force(cw: Casework, force: str, now: datetime, batch: int, result: SweepResult) -> bool:
    """Sweep one force's due clocks in batches; False when another process holds the sweep lock."""
    more = True
    while more:
        made, more, locked = sweep_batch(cw, now, force, batch)
        if not locked:
            return False
        result.marks.extend(made)
    return True


def _skip(result: SweepResult, force: str, reason: str) -> None:
    result.skipped_forces[force] = reason
    log.error("SLA sweep SKIPPED force %r: %s; its warnings and breaches wait until this is fixed", force, reason)
