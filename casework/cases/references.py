"""Human-friendly case references, e.g. WK-2026-000123: one counter per force and year.

References are unique, not gapless (SPEC §2). On SQLite the counter is a row of `reference_counters`,
taken under the write lock BEGIN IMMEDIATE already holds. On PostgreSQL a row there would be locked
from the intake's first statement to its commit, so every intake of a force would queue behind the
one before: there each force and year has its own sequence, whose `nextval` locks nothing and is
never rolled back (an intake that fails leaves a gap). The sequence is created on first use, starting
after any number the counter row had already handed out, and is owned by that table's `last`
column, so it goes with the table (and restarts with it on `TRUNCATE ... RESTART IDENTITY`).
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

from casework.storage.driver import Driver

_SAFE_FORCE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")  # the forces file's rule for codes
# nextval is strict: on a sequence that does not exist yet this is NULL rather than an error that
# would abort the caller's transaction.
_NEXTVAL = "SELECT nextval(to_regclass(?))"
_CREATE_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('casework.references'))")
_ALREADY_USED = text("SELECT last FROM reference_counters WHERE force = :force AND year = :year")


_TAKE_NUMBER_SQLITE = (
    "INSERT INTO reference_counters (force, year, last) VALUES (?, ?, 1) "
    "ON CONFLICT (force, year) DO UPDATE SET last = last + 1 RETURNING last"
)


def sequence_name(force: str, year: int) -> str:
    if not _SAFE_FORCE.match(force):
        raise ValueError(f"not a force code: {force!r}")
    return f"case_reference_{force}_{year}"


def next_reference(driver: Driver, force: str, prefix: str, year: int) -> str:
    """Take the next number, inside the caller's transaction; it holds no lock on PostgreSQL."""
    if driver.postgres:
        number = _next_from_sequence(driver, force, year)
    else:
        (number,) = driver.execute(_TAKE_NUMBER_SQLITE, (force, year)).fetchone()
    return f"{prefix}-{year}-{number:06d}"


def _next_from_sequence(driver: Driver, force: str, year: int) -> int:
    (number,) = driver.execute(_NEXTVAL, (sequence_name(force, year),)).fetchone()
    return int(number) if number is not None else _create_sequence(driver.connection, force, year)


def _create_sequence(connection: Connection, force: str, year: int) -> int:
    """Create the force's sequence for the year in its own short transaction, once across processes.

    The first number is taken there too: the caller's transaction keeps seeing no such sequence
    (its lookup does not read other sessions' catalogue changes before its next transaction).
    """
    name = sequence_name(force, year)
    with connection.engine.connect() as own, own.begin():
        own.execute(_CREATE_LOCK)  # a second creator waits here, then finds the sequence made
        if own.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar() is None:
            own.exec_driver_sql(f"CREATE SEQUENCE {name} MINVALUE 1 START 1 OWNED BY reference_counters.last")
            used = own.execute(_ALREADY_USED, {"force": force, "year": year}).scalar()
            if used:
                own.execute(text("SELECT setval(to_regclass(:name), :used)"), {"name": name, "used": used})
        (number,) = Driver(own).execute(_NEXTVAL, (name,)).fetchone()
        return int(number)
