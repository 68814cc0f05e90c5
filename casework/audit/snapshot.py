"""One consistent read of the whole database on a connection of its own, for the checks of `audit verify` that
compare two tables: a read transaction on SQLite, REPEATABLE READ on PostgreSQL, where each statement of a READ
COMMITTED transaction would see what was committed since the one before (a live system's steps and views)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.execution_options(casework_readonly=True, **options).connect() as connection, connection.begin():
        yield connection
