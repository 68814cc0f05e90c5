"""Human-friendly case references, e.g. WK-2026-000123: one counter per force and year."""

from __future__ import annotations

from functools import cache

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from casework.storage.tables import ReferenceCounter, table_of

_counters = table_of(ReferenceCounter)


@cache
def _take_number(dialect_name: str) -> ReturningInsert[int]:
    """An upsert that increments and returns the counter (built once per dialect)."""
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    return (
        insert(_counters)
        .values(last=1)
        .on_conflict_do_update(index_elements=["force", "year"], set_={"last": _counters.c.last + 1})
        .returning(_counters.c.last)
    )


def next_reference(session: Session, force: str, prefix: str, year: int) -> str:
    """Take the next number atomically, inside the caller's transaction."""
    connection = session.connection()
    number = connection.execute(_take_number(connection.dialect.name), {"force": force, "year": year}).scalar_one()
    return f"{prefix}-{year}-{number:06d}"
