"""The hash chain, write side: canonical JSON, event hashes, and appending events under the chain-head lock.

It lives with storage because every unit of work appends through it at commit; reading the chain
back and naming what is wrong is the audit capability's (`casework.audit.verify`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from casework.clock import UTC, ensure_utc
from casework.storage.driver import Driver, insert_sql

GENESIS = "0" * 64
_COLUMNS = "seq, case_id, at, actor, role, action, from_state, to_state, data, data_digest, prev_hash, hash"
_LOCK_HEAD = "SELECT seq, hash FROM chain_head WHERE id = 1"
_INSERT_EVENT = insert_sql("case_events", _COLUMNS.split(", "))
_MOVE_HEAD = "UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1"
# The events travel as one JSON array (times as ISO 8601 with their offset), so any number of them
# and the head's move are one statement.
_APPEND_PG = (
    "WITH moved AS (UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1) "
    f"INSERT INTO case_events ({_COLUMNS}) "
    f"SELECT {_COLUMNS} FROM jsonb_populate_recordset(NULL::case_events, CAST(? AS jsonb))"
)


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


def append(driver: Driver, new_events: Iterable[NewEvent]) -> list[dict[str, Any]]:
    """Append events after the chain head, inside the caller's transaction, as its last statements.

    The head's row lock is held until the commit, so every appender queues behind it: everything
    that does not need the head (data digests) is done before taking it, and on PostgreSQL the events
    and the new head go in one statement, so the lock covers one round trip and the commit.
    """
    pending = [(event, event.data or {}) for event in new_events]
    if not pending:
        return []
    digests = [digest(data) for _, data in pending]
    # FOR UPDATE serialises appenders on PostgreSQL; SQLite's BEGIN IMMEDIATE already has.
    seq, prev = driver.execute(_LOCK_HEAD + (" FOR UPDATE" if driver.postgres else "")).fetchone()
    rows: list[dict[str, Any]] = []
    for (event, data), data_digest in zip(pending, digests, strict=True):
        seq += 1
        this = event_hash(
            prev,
            seq,
            event.case_id,
            event.at,
            event.actor,
            event.role,
            event.action,
            event.from_state,
            event.to_state,
            data_digest,
        )
        rows.append(
            {
                "seq": seq,
                "case_id": event.case_id,
                "at": ensure_utc(event.at),
                "actor": event.actor,
                "role": event.role,
                "action": event.action,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "data": data,
                "data_digest": data_digest,
                "prev_hash": prev,
                "hash": this,
            }
        )
        prev = this
    if driver.postgres:
        driver.execute(_APPEND_PG, (seq, prev, orjson.dumps(rows).decode()))
    else:
        driver.executemany(_INSERT_EVENT, [driver.values(row.values()) for row in rows])  # `_COLUMNS` order
        driver.execute(_MOVE_HEAD, (seq, prev))
    return rows
