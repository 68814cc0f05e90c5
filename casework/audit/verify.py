"""Verifying the hash chain: walk every event from the first, and name the first one that does not verify."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import orjson
from sqlalchemy import Row, Text, cast, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from casework.audit import listings, records
from casework.audit import scan as audit_scan
from casework.storage.chain import GENESIS, NotCanonical, digest, event_hash
from casework.storage.tables import CaseEvent, ChainHead, PendingEvent, table_of
from workflows import A017
from workflows.spec import Workflow

_events = table_of(CaseEvent)
_head = table_of(ChainHead)
_pending = table_of(PendingEvent)


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int
    head_hash: str
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    problem: str | None = None
    case_reference: str | None = None  # set when the chain holds but a case or comment row does not match it
    queued: int = 0  # committed events the linker has not chained yet (PostgreSQL; normally gone within a second)

    def describe(self) -> str:
        if self.ok:
            waiting = f"; {self.queued} newer events committed and waiting to be linked" if self.queued else ""
            return (
                f"audit chain intact: {self.count} events, head {self.head_hash}; "
                f"every case and comment matches it{waiting}"
            )
        if self.case_reference:
            return f"case {self.case_reference} does not match its audit events: {self.problem}"
        if self.first_bad_seq is None and self.problem:
            return f"audit chain intact, but {self.problem}"
        return f"audit chain broken at event seq {self.first_bad_seq} (id {self.first_bad_id}): {self.problem}"


# What a tampered row can make the driver or the type conversions raise; verification names it instead.
UNREADABLE = (ValueError, TypeError, ArithmeticError, SQLAlchemyError)

_VERIFY_COLUMNS = (
    _events.c.id,
    _events.c.seq,
    _events.c.case_id,
    _events.c.at,
    _events.c.actor,
    _events.c.role,
    _events.c.action,
    _events.c.from_state,
    _events.c.to_state,
    cast(_events.c.data, Text).label("data"),  # as text: a malformed value is named, not raised
    _events.c.data_digest,
    _events.c.prev_hash,
    _events.c.hash,
)


def verify(session: Session, batch: int = 20_000, workflow: Workflow = A017) -> Verification:
    """The chain, then every case and comment against its events (`records`), then the index of the lists that
    showed each case (`listings`); never raises, names the first fault.

    The record and listings checks each read one snapshot of their own (`audit.snapshot`). The listings
    check runs in a second thread while this one walks the chain: each spends most of its time in the
    database's C code, which lets the other run. The record check, mostly Python, runs after the walk.
    """
    engine = session.connection().engine
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="verify-listings") as pool:
        listed = pool.submit(listings.first_problem, engine)
        result = verify_chain(session, batch)
        found = records.first_problem(engine, workflow, batch) if result.ok else None
        listed_problem = listed.result()
    if not result.ok:
        return result
    if found := found or listed_problem:
        reference, problem = found
        return Verification(False, result.count, result.head_hash, problem=problem, case_reference=reference)
    queued = session.execute(select(func.count()).select_from(_pending)).scalar_one()
    return replace(result, queued=queued)


def verify_chain(session: Session, batch: int = 20_000) -> Verification:
    """Walk the chain in order; name the first event whose sequence, link, data or hash is wrong.

    Events are checked on raw column values (`audit_scan`); the first that fails that quick check is
    examined through the typed columns, which names the problem, or clears a false alarm (say, a time
    stored in another text format), after which the walk goes on over typed rows.
    """
    head_seq, head_hash = session.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)).one()
    prev, expected_seq, head_seen = GENESIS, 1, head_seq == 0
    if session.get_bind().dialect.name not in audit_scan.SUPPORTED:
        return _verify_typed(session, head_seq, head_hash, batch, (expected_seq, prev, head_seen))
    sha, dumps, loads, sort = hashlib.sha256, orjson.dumps, orjson.loads, orjson.OPT_SORT_KEYS
    suspect = None
    rows = audit_scan.raw_rows(session, expected_seq, batch)
    try:
        for seq, case_id, stamp, actor, role, action, from_state, to_state, data, data_digest, this in rows:
            try:
                fine = (
                    seq == expected_seq
                    and sha(dumps(loads(data), option=sort)).hexdigest() == data_digest
                    and sha(
                        prev.encode()
                        + b"\n"
                        + dumps([seq, case_id, stamp, actor, role, action, from_state, to_state, data_digest])
                    ).hexdigest()
                    == this
                )
            except (ValueError, TypeError, AttributeError):  # malformed JSON or fields: the typed walk names it
                fine = False
            if not fine:
                suspect = seq
                break
            if seq == head_seq:
                head_seen = this == head_hash
            prev, expected_seq = this, seq + 1
    except UNREADABLE:  # a value the driver cannot read: the typed walk names the event
        suspect = expected_seq
    finally:
        rows.close()
    if suspect is None:
        return _against_head(expected_seq - 1, prev, head_seq, head_hash, head_seen)
    return _verify_typed(session, head_seq, head_hash, batch, (expected_seq, prev, head_seen))


def _verify_typed(
    session: Session, head_seq: int, head_hash: str, batch: int, start: tuple[int, str, bool]
) -> Verification:
    """The plain walk over typed rows from `start` (expected seq, previous hash, head seen)."""
    expected_seq, prev, head_seen = start
    result = session.execute(
        select(*_VERIFY_COLUMNS)
        .where(_events.c.seq >= expected_seq)
        .order_by(_events.c.seq)
        .execution_options(yield_per=batch)
    )
    try:
        for row in result:
            if problem := _problem(row, prev, expected_seq):
                return Verification(False, expected_seq - 1, prev, row.seq, row.id, problem)
            if row.seq == head_seq:
                head_seen = row.hash == head_hash
            prev, expected_seq = row.hash, row.seq + 1
    except UNREADABLE as exc:
        reason = str(exc)[:300].encode("utf-8", "backslashreplace").decode()  # it may quote a lone surrogate
        problem = f"the event after seq {expected_seq - 1} cannot be read ({type(exc).__name__}: {reason})"
        return Verification(False, expected_seq - 1, prev, expected_seq, None, problem)
    finally:
        result.close()  # a server-side cursor on PostgreSQL must not outlive an early return
    return _against_head(expected_seq - 1, prev, head_seq, head_hash, head_seen)


def _against_head(count: int, last_hash: str, head_seq: int, head_hash: str, head_seen: bool) -> Verification:
    """The head was read first, so events appended meanwhile are fine; fewer events than it records are not."""
    if count < head_seq or not head_seen:
        return Verification(
            False,
            count,
            last_hash,
            min(count, head_seq) + 1,
            None,
            f"the chain head records {head_seq} events ending {head_hash[:12]}…; "
            f"the log has {count} ending {last_hash[:12]}… (events were cut off)",
        )
    return Verification(True, count, last_hash)


def _refuse_constant(name: str) -> Any:
    raise NotCanonical(f"{name} is not JSON")


def _problem(row: Row[*tuple[Any, ...]], prev: str, expected_seq: int) -> str | None:
    if row.seq != expected_seq:
        return f"expected seq {expected_seq}: {'events missing' if row.seq > expected_seq else 'out of order'}"
    if row.prev_hash != prev:
        return "does not link to the previous event (an event was removed, inserted or reordered)"
    try:
        data = json.loads(row.data, parse_constant=_refuse_constant)
        data_digest = digest(data)
    except NotCanonical as exc:
        return f"its data is not canonical JSON ({exc}): data was changed"
    except ValueError as exc:
        return f"its data is not JSON ({exc}): data was changed"
    if data_digest != row.data_digest:
        return "its data does not match its digest (data was changed)"
    if (
        event_hash(
            prev,
            row.seq,
            row.case_id,
            row.at,
            row.actor,
            row.role,
            row.action,
            row.from_state,
            row.to_state,
            row.data_digest,
        )
        != row.hash
    ):
        return "its hash does not match its content (the event was changed)"
    return None
