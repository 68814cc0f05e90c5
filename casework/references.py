"""Human-friendly case references, e.g. WK-2026-000123: one counter per force and year."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from casework.models import ReferenceCounter

_counters = ReferenceCounter.__table__


def next_reference(session: Session, force: str, prefix: str, year: int) -> str:
    """Take the next number atomically (an upsert that increments), inside the caller's transaction."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(_counters)
        .values(force=force, year=year, last=1)
        .on_conflict_do_update(index_elements=["force", "year"], set_={"last": _counters.c.last + 1})
        .returning(_counters.c.last)
    )
    number = session.execute(statement).scalar_one()
    return f"{prefix}-{year}-{number:06d}"
