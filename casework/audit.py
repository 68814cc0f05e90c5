"""The hash-chained audit log: append under the chain-head lock, verify from the first event."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

import orjson
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from casework.clock import UTC
from casework.models import CaseEvent, ChainHead

GENESIS = "0" * 64
_events = CaseEvent.__table__
_head = ChainHead.__table__
_LOCK_HEAD = select(_head.c.seq, _head.c.hash).where(_head.c.id == 1).with_for_update()
_INSERT_EVENTS = insert(_events)
_MOVE_HEAD = update(_head).where(_head.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(prev_hash: str, seq: int, case_id: int | None, at: datetime, actor: str, role: str | None,
               action: str, from_state: str | None, to_state: str | None, data_digest: str) -> str:
    """Hash of an event: it covers the previous hash and the digest of the data, not the data."""
    content = canonical([seq, case_id, _stamp(at), actor, role, action, from_state, to_state, data_digest])
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()


@dataclass(frozen=True)
class NewEvent:
    case_id: int | None
    at: datetime
    actor: str
    role: str | None
    action: str
    from_state: str | None = None
    to_state: str | None = None
    data: dict | None = None


def append(session: Session, new_events: Iterable[NewEvent]) -> list[dict]:
    """Append events after the chain head, inside the caller's transaction."""
    new_events = list(new_events)
    if not new_events:
        return []
    connection = session.connection()
    # FOR UPDATE serialises appenders on PostgreSQL; SQLite's BEGIN IMMEDIATE already has.
    seq, prev = connection.execute(_LOCK_HEAD).one()
    rows = []
    for event in new_events:
        seq += 1
        data = event.data or {}
        data_digest = digest(data)
        this = event_hash(prev, seq, event.case_id, event.at, event.actor, event.role, event.action,
                          event.from_state, event.to_state, data_digest)
        rows.append(dict(seq=seq, case_id=event.case_id, at=event.at, actor=event.actor, role=event.role,
                         action=event.action, from_state=event.from_state, to_state=event.to_state,
                         data=data, data_digest=data_digest, prev_hash=prev, hash=this))
        prev = this
    connection.execute(_INSERT_EVENTS, rows)
    connection.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev})
    return rows


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int
    head_hash: str
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    problem: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.count} events, head {self.head_hash}"
        return f"audit chain broken at event seq {self.first_bad_seq} (id {self.first_bad_id}): {self.problem}"


_VERIFY_COLUMNS = (_events.c.id, _events.c.seq, _events.c.case_id, _events.c.at, _events.c.actor, _events.c.role,
                   _events.c.action, _events.c.from_state, _events.c.to_state, _events.c.data,
                   _events.c.data_digest, _events.c.prev_hash, _events.c.hash)


def verify(session: Session, batch: int = 10_000) -> Verification:
    """Walk the chain in order; name the first event whose sequence, link or hash is wrong."""
    prev, expected_seq, count = GENESIS, 1, 0
    result = session.execute(select(*_VERIFY_COLUMNS).order_by(_events.c.seq).execution_options(yield_per=batch))
    try:
        for row in result:
            problem = _problem(row, prev, expected_seq)
            if problem:
                return Verification(False, count, prev, row.seq, row.id, problem)
            prev, expected_seq, count = row.hash, row.seq + 1, count + 1
    finally:
        result.close()  # a server-side cursor on PostgreSQL must not outlive an early return
    head_seq, head_hash = session.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)).one()
    if (head_seq, head_hash) != (count, prev):
        return Verification(False, count, prev, count + 1, None,
                            f"the chain head records {head_seq} events ending {head_hash[:12]}…; "
                            f"the log has {count} ending {prev[:12]}… (events were cut off)")
    return Verification(True, count, prev)


def _problem(row, prev: str, expected_seq: int) -> str | None:
    if row.seq != expected_seq:
        return f"expected seq {expected_seq}: {'events missing' if row.seq > expected_seq else 'out of order'}"
    if row.prev_hash != prev:
        return "does not link to the previous event (an event was removed, inserted or reordered)"
    if digest(row.data) != row.data_digest:
        return "its data does not match its digest (data was changed)"
    if event_hash(prev, row.seq, row.case_id, row.at, row.actor, row.role, row.action, row.from_state,
                  row.to_state, row.data_digest) != row.hash:
        return "its hash does not match its content (the event was changed)"
    return None
