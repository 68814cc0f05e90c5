"""One sweep: claim due warnings and breaches by index, mark each once, announce each at its true time.

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

from sqlalchemy import select, text
from sqlmodel import Session

from casework.runtime import Casework
from casework.sla import marks
from casework.sla.marks import Mark
from casework.sla.models import SlaClock
from casework.storage.tables import Case, table_of

log = logging.getLogger(__name__)
BATCH = 500
SWEEP_LOCK = zlib.crc32(b"casework.sla.sweep")  # one key for every sweeper of this database
_clocks, _cases = table_of(SlaClock), table_of(Case)
_PENDING = {
    marks.WARNING: (_clocks.c.warned_at, _clocks.c.warn_at),
    marks.BREACH: (_clocks.c.breached_at, _clocks.c.due_at),
}


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


def _due_ids(session: Session, kind: str, now: datetime, limit: int, force: str) -> list[int]:
    marked, when = _PENDING[kind]
    # The WHERE matches the partial index, so this reads only due rows (then keeps the force's).
    query = (
        select(_clocks.c.id)
        .where(marked.is_(None), _clocks.c.stopped_at.is_(None), when <= now, _clocks.c.force == force)
        .order_by(when)
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
        warn_ids = _due_ids(session, marks.WARNING, now, batch, force)
        breach_ids = _due_ids(session, marks.BREACH, now, batch, force)
        made = marks.mark(session, marks.WARNING, warn_ids, now) + marks.mark(session, marks.BREACH, breach_ids, now)
        if made:
            rows = session.execute(select(_cases).where(_cases.c.id.in_({m.case_id for m in made}))).all()
            marks.announce(uow, cw, made, {r.id: r for r in rows}, now, "sweep")
        uow.commit()
        return made, batch in (len(warn_ids), len(breach_ids)), True


def forces_due(cw: Casework, now: datetime) -> set[str]:
    """The forces with a warning or breach due: a read-only look, so an idle sweep takes no write lock."""
    with cw.reader() as uow:
        found: set[str] = set()
        for marked, when in _PENDING.values():
            due = select(_clocks.c.force).where(marked.is_(None), _clocks.c.stopped_at.is_(None), when <= now)
            found.update(uow.session.execute(due.distinct()).scalars())
        return found


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
