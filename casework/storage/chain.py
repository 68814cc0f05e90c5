"""The hash chain, write side: canonical JSON, event hashes, appending events and linking them.

On SQLite, one writer at a time, a unit of work links its events after the head in its own
transaction. On PostgreSQL it only queues them in `chain_pending` (no shared row, so concurrent
writers never wait on each other), and right after its commit `link_pending` numbers, hashes and
moves every queued event into `case_events` in queue order, one linker at a time, as transparency logs
sequence first and integrate after. It lives with storage because every unit of work appends
through it; reading the chain back and naming what is wrong is the audit capability's
(`casework.audit.verify`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from casework.clock import UTC, ensure_utc
from casework.storage.driver import Driver, RowReader, insert_sql
from casework.storage.tables import PendingEvent, table_of

GENESIS = "0" * 64
_FIELDS = "case_id, at, actor, role, action, from_state, to_state, data, data_digest"
_COLUMNS = f"seq, {_FIELDS}, prev_hash, hash"
_HEAD = "SELECT seq, hash FROM chain_head WHERE id = 1"
_INSERT_EVENT = insert_sql("case_events", _COLUMNS.split(", "))
_MOVE_HEAD = "UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1"
# Events travel as one JSON array (times as ISO 8601 with their offset), so any number of them is one
# statement; WITH ORDINALITY keeps the queue's ids in the order the unit of work recorded them.
_QUEUE_PG = (
    f"INSERT INTO chain_pending ({_FIELDS}) SELECT {_FIELDS} "
    "FROM jsonb_populate_recordset(NULL::chain_pending, CAST(? AS jsonb)) WITH ORDINALITY ORDER BY ordinality"
)
_APPEND_PG = (
    "WITH moved AS (UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1) "
    f"INSERT INTO case_events ({_COLUMNS}) "
    f"SELECT {_COLUMNS} FROM jsonb_populate_recordset(NULL::case_events, CAST(? AS jsonb))"
)
# Only tried, never waited for: a writer that finds another linking leaves its events to it.
TRY_LINKER = "SELECT pg_try_advisory_xact_lock(hashtext('casework.chain_linker'))"
LINK_BATCH = 1_000
_TAKE_PENDING = (
    "WITH taken AS (DELETE FROM chain_pending WHERE id IN (SELECT id FROM chain_pending ORDER BY id LIMIT ?) "
    f"RETURNING *) SELECT {_FIELDS} FROM taken ORDER BY id"
)
_ANY_PENDING = "SELECT EXISTS (SELECT 1 FROM chain_pending)"
_read_pending = RowReader(table_of(PendingEvent), _FIELDS.split(", "))


class NotCanonical(ValueError):
    """A value canonical JSON cannot hold exactly, so its digest would not survive a round trip."""


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8; refuses what would not read back the same.

    orjson itself refuses integers beyond 64 bits and lone surrogates, but writes NaN and Infinity
    as `null`, so a stored `null` changed to `NaN` would keep the digest: those are refused here.
    """
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError as exc:
        raise NotCanonical(str(exc)) from None
    if b"null" in encoded and _has_non_finite(value):
        raise NotCanonical("NaN and Infinity are not JSON")
    return encoded


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(map(_has_non_finite, value.values()))
    if isinstance(value, list | tuple):
        return any(map(_has_non_finite, value))
    return False


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    prev_hash: str,
    seq: int,
    case_id: int | None,
    at: datetime,
    actor: str,
    role: str | None,
    action: str,
    from_state: str | None,
    to_state: str | None,
    data_digest: str,
) -> str:
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
    data: dict[str, Any] | None = None


def append(driver: Driver, new_events: Iterable[NewEvent]) -> bool:
    """Append events inside the caller's transaction, as its last statements; True if they wait for `link_pending`.

    SQLite links them after the head at once (its writer already holds the database). PostgreSQL
    queues them in one statement, unnumbered, and the caller links them right after its commit.
    """
    fields = [_fields(event) for event in new_events]
    if not fields:
        return False
    if driver.postgres:
        driver.execute(_QUEUE_PG, (orjson.dumps(fields).decode(),))
        return True
    seq, prev = driver.execute(_HEAD).fetchone()
    rows = _linked(seq, prev, fields)
    driver.executemany(_INSERT_EVENT, [driver.values(row.values()) for row in rows])  # `_COLUMNS` order
    driver.execute(_MOVE_HEAD, (rows[-1]["seq"], rows[-1]["hash"]))
    return False


def link_pending(engine: Engine) -> None:
    """Link every queued event (PostgreSQL), oldest first, unless another process is linking right now.

    The linker that holds the lock looks again after letting it go, so an event queued while it
    linked, by a writer that found the lock taken, is linked by it; a process that stopped between
    its commit and linking leaves its events to the next writer or the `audit.link` job.
    """
    with engine.connect() as connection:  # one connection for every round: the pool pings each checkout
        driver = Driver(connection)
        while True:
            with connection.begin():
                if not driver.execute(TRY_LINKER).fetchone()[0]:
                    return
                taken = [_read_pending(driver, row) for row in driver.execute(_TAKE_PENDING, (LINK_BATCH,))]
                if taken:
                    seq, prev = driver.execute(_HEAD).fetchone()
                    linked = _linked(seq, prev, taken)
                    head = (linked[-1]["seq"], linked[-1]["hash"])
                    driver.execute(_APPEND_PG, (*head, orjson.dumps(linked).decode()))
            with connection.begin():  # after letting go of the lock
                if not driver.execute(_ANY_PENDING).fetchone()[0]:
                    return


def _fields(event: NewEvent) -> dict[str, Any]:
    """An event's row without its place in the chain (`_FIELDS`, in order)."""
    data = event.data or {}
    return {
        "case_id": event.case_id,
        "at": ensure_utc(event.at),
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "data": data,
        "data_digest": digest(data),
    }


def _linked(seq: int, prev: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of `events` (their `_FIELDS`) numbered and hashed after the head (`seq`, `prev`), in `_COLUMNS` order."""
    rows: list[dict[str, Any]] = []
    for event in events:
        seq += 1
        this = event_hash(
            prev,
            seq,
            event["case_id"],
            event["at"],
            event["actor"],
            event["role"],
            event["action"],
            event["from_state"],
            event["to_state"],
            event["data_digest"],
        )
        rows.append({"seq": seq, **event, "prev_hash": prev, "hash": this})
        prev = this
    return rows
