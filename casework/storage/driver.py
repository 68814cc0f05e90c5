"""The per-action statements, sent straight to the database driver inside the unit of work's transaction.

An action sends about a dozen statements, and SQLAlchemy's Core spends more Python on each than the
database spends running it, so the statements every intake and transition runs are written here as
SQL with `?` placeholders and go to the driver's cursor. Values are stored exactly as the column types
of `casework.storage.tables` store them (UTC times as naive text on SQLite, JSON as text on SQLite and
JSONB on PostgreSQL), so the ORM reads these rows back the same. The engine's statement listeners still
see every statement, and a driver error is raised as SQLAlchemy's, invalidating a connection that is
gone, so fault handling (503, reconnect) cannot tell the two paths apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Boolean, Date, Table
from sqlalchemy.engine import Connection

from casework.clock import UTC, ensure_utc
from casework.storage.db import Sender, UTCDateTime

Decode = Callable[[Any], Any]
_AS_IS = frozenset({str, int, float, bool, bytes, type(None)})  # what both drivers take as it is


def insert_sql(table: str, columns: Sequence[str]) -> str:
    """`INSERT INTO table (columns) VALUES (?, ...)`, one placeholder a column."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


@cache
def _postgres_sql(sql: str) -> str:
    if "%" in sql:
        raise ValueError("a driver statement cannot hold '%' (psycopg's placeholder sign)")
    return sql.replace("?", "%s")


class Driver(Sender):
    """The unit of work's connection at the driver's level: run SQL, adapt values to and from columns."""

    def __init__(self, connection: Connection):
        super().__init__(connection)
        self.postgres = connection.dialect.name == "postgresql"
        self.json: Callable[[Any], Any] = Jsonb if self.postgres else json.dumps

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; the driver's cursor, for `fetchone`/`fetchall`."""
        return self._run(sql, params, many=False)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        return self._run(sql, rows, many=True)

    def _run(self, sql: str, params: Any, *, many: bool) -> Any:
        return self.send(_postgres_sql(sql) if self.postgres else sql, params, many=many)

    def values(self, values: Iterable[Any]) -> tuple[Any, ...]:
        """Values as the column types store them: times, days and JSON (dicts and lists) adapted."""
        return tuple(v if type(v) in _AS_IS else self.value(v) for v in values)

    def value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return self.time(value)
        if isinstance(value, date):
            return self.day(value)
        return self.json(value) if isinstance(value, dict | list) else value

    def time(self, value: datetime | None) -> Any:
        """A datetime as `UTCDateTime` stores it."""
        if value is None or self.postgres:
            return value
        return _sqlite_time(value)

    def day(self, value: date | None) -> Any:
        return value if value is None or self.postgres else value.isoformat()


@lru_cache(maxsize=256)
def _sqlite_time(value: datetime) -> str:
    """UTC as naive text; an action stores its moment in a dozen columns, so each is worked out once."""
    return ensure_utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")


class RowReader:
    """Rows of `names` (columns of `table`, in that order) read as the ORM would give them, on either database."""

    def __init__(self, table: Table, names: Sequence[str]):
        self._by_database = (_decoder(table, names, postgres=False), _decoder(table, names, postgres=True))

    def __call__(self, driver: Driver, row: Sequence[Any]) -> dict[str, Any]:
        return self._by_database[driver.postgres](row)


def _decoder(table: Table, names: Sequence[str], *, postgres: bool) -> Callable[[Sequence[Any]], dict[str, Any]]:
    pairs = [(name, _decode(table.c[name].type, postgres)) for name in names]

    def decode(row: Sequence[Any]) -> dict[str, Any]:
        return {
            name: value if how is None or value is None else how(value)
            for (name, how), value in zip(pairs, row, strict=True)
        }

    return decode


def _decode(column_type: Any, postgres: bool) -> Decode | None:
    if isinstance(column_type, UTCDateTime):
        return _aware_utc if postgres else _naive_utc_text
    if isinstance(column_type, JSON):
        return None if postgres else json.loads
    if isinstance(column_type, Boolean):
        return None if postgres else bool
    if isinstance(column_type, Date):
        return None if postgres else date.fromisoformat
    return None


def _aware_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _naive_utc_text(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
