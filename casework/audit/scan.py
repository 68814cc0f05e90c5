"""Raw event rows for the fast `audit verify`: the hashed fields as the database holds them, streamed.

The time comes already in the hashed text form and the data as JSON text, so no datetime or dict is
built per row by the driver. SQLite streams a cursor; PostgreSQL streams `COPY ... TO STDOUT`, which
keeps the server producing rows while Python hashes (a cursor waits for each FETCH).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from sqlalchemy.orm import Session

_SELECT = (
    "SELECT seq, case_id, {stamp}, actor, role, action, from_state, to_state, {data}, data_digest, hash "
    "FROM case_events WHERE seq >= {first:d} ORDER BY seq"
)
# `at` in the hashed text form: SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff' UTC.
STAMP = {
    "sqlite": "replace(at, ' ', 'T') || 'Z'",
    "postgresql": "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
}
_SQLITE = {"stamp": STAMP["sqlite"], "data": "data"}
_POSTGRES = {"stamp": STAMP["postgresql"], "data": "data::text"}
_COPY_TYPES = ["int8", "int8"] + ["text"] * 9
SUPPORTED = ("sqlite", "postgresql")


def raw_rows(session: Session, first: int, batch: int) -> Generator[tuple[Any, ...], None, None]:
    """(seq, case_id, stamp, actor, role, action, from_state, to_state, data, data_digest, hash) from `first` on.

    Close the iterator when stopping early: PostgreSQL's COPY must be drained before the connection
    takes another query.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        yield from _copy(connection.connection.driver_connection, _SELECT.format(first=first, **_POSTGRES))
        return
    # the driver's own cursor, in the session's transaction: SQLAlchemy's streamed result fetched a row a call
    sqlite: Any = connection.connection.driver_connection
    cursor = sqlite.cursor()
    try:
        cursor.execute(_SELECT.format(first=first, **_SQLITE))
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def _copy(driver_connection: Any, select: str) -> Iterator[tuple[Any, ...]]:
    with driver_connection.cursor() as cursor, cursor.copy(f"COPY ({select}) TO STDOUT") as copy:
        copy.set_types(_COPY_TYPES)
        try:
            yield from copy.rows()
        finally:
            for _ in copy:  # drain what is left after an early stop
                pass
