"""Engines and column types: SQLite set up for safe concurrent writers, UTC times that stay aware."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Dialect, Engine, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, StatementError
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

from casework.clock import UTC, ensure_utc
from casework.storage.checkpoints import BACKSTOP_PAGES, CHECKPOINTER, Checkpointer

log = logging.getLogger(__name__)
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; gives them back aware (SQLite would drop the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = ensure_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A new database's page size. Every page an action dirties is a WAL frame checksummed and written at commit,
# and an action dirties a page in each index its rows sit in (about 35 for a transition), mostly to change a
# few bytes: half SQLite's default 4,096 bytes cut the commit's cost by about a third and an action's CPU time
# by 8-10 %, while FTS5's 1,000-byte index pages still fit one page. A database made before keeps its size.
PAGE_SIZE = 2048
# The WAL is truncated back to this size after a checkpoint (it grew to twice the database without it).
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
# SQLite errors after which a pooled connection is useless until reopened: a connection opened on a
# read-only file stays read-only, one that saw an I/O error may hold a stale view.
_REOPEN_AFTER = ("readonly database", "disk i/o error", "unable to open database file")


def make_engine(
    url: str, *, busy_timeout: float = 30.0, checkpointer: Checkpointer = CHECKPOINTER, **kwargs: Any
) -> Engine:
    """Create an engine that recovers by itself when the database returns.

    PostgreSQL's pool checks a connection before use (pre-ping). SQLite's has nothing to check (a ping
    never touches the file; a connection that saw a read-only or I/O error is replaced on that error), and
    gets WAL (size-limited, checkpointed by `checkpointer` off the commits), foreign keys, a busy timeout
    (seconds) and BEGIN IMMEDIATE.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    connect_args = {"timeout": busy_timeout, "check_same_thread": False}
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    _serialise_sqlite_writers(engine, int(busy_timeout * 1000))
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        checkpointer.watch(engine, str(Path(parsed.database).resolve()))
    return engine


def missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file `url` names when it does not exist: connecting to it would create an empty one."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None  # not a URL: whoever connects names the problem
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if Path(database).exists() else Path(database)


def _serialise_sqlite_writers(engine: Engine, busy_ms: int) -> None:
    # The sqlite3 driver's own transaction handling loses updates under several writers;
    # taking the write lock at BEGIN makes read-modify-write safe (see PITFALLS.md).
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")  # before WAL mode writes a new file's header
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")  # a thread checkpoints (`checkpoints`)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        options, sender = connection.get_execution_options(), Sender(connection)
        if options.get("casework_nowait"):
            sender.send("PRAGMA busy_timeout=0")
        try:
            sender.send("BEGIN" if options.get("casework_readonly") else "BEGIN IMMEDIATE")
        finally:
            if options.get("casework_nowait"):
                sender.send(f"PRAGMA busy_timeout={busy_ms}")

    @event.listens_for(engine, "handle_error")
    def on_error(context: ExceptionContext) -> None:
        if needs_reopen(context.original_exception):
            context.is_disconnect = True  # the pool drops its connections and opens fresh ones


class Sender:
    """Statements straight to a connection's driver cursor, for those every action runs (BEGIN among them),
    where SQLAlchemy's execution costs more Python than the database spends. The statement listeners still
    see each one, and a driver error is raised as SQLAlchemy's, a connection that is gone invalidated first,
    so fault handling (503, reconnect) cannot tell the two paths apart (see `casework.storage.driver`)."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self._raw: Any = connection.connection.driver_connection
        listeners = connection.dispatch.before_cursor_execute
        self._listeners = listeners if listeners else None  # as they are when the transaction starts
        self._error: type[Exception] = connection.dialect.loaded_dbapi.Error

    def send(self, statement: str, params: Any = (), *, many: bool = False) -> Any:
        """Run one statement (or one per row of `params`); the driver's cursor, for `fetchone`/`fetchall`."""
        cursor = self._raw.cursor()
        if self._listeners is not None:
            self._listeners(self.connection, cursor, statement, params, None, many)
        try:
            if many:
                cursor.executemany(statement, params)
            else:
                cursor.execute(statement, params)
        except self._error as exc:
            raise self._translated(exc, statement, params) from exc
        return cursor

    def _translated(self, exc: Exception, statement: str, params: Any) -> StatementError:
        dialect = self.connection.dialect
        error: Any = exc  # SQLAlchemy types it as its DBAPI protocol's Error
        gone = dialect.is_disconnect(error, self._raw, None) or needs_reopen(exc)
        if gone:
            self.connection.invalidate(exc)
        return DBAPIError.instance(statement, params, exc, self._error, connection_invalidated=gone, dialect=dialect)


def needs_reopen(exc: BaseException) -> bool:
    """Whether a SQLite error leaves its connection useless (see `_REOPEN_AFTER`)."""
    message = str(exc).lower()
    return any(text in message for text in _REOPEN_AFTER)


def try_write(engine: Engine, statement: Executable) -> bool:
    """Run one statement in its own transaction if the database takes it at once; False if it does not.

    For writes that may be lost (when a token was last used): they never wait for a lock held by
    someone else, and a read-only, full or locked database does not fail the read that caused them.
    """
    try:
        with engine.execution_options(casework_nowait=True).begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
            connection.execute(statement)
    except OperationalError as exc:
        log.info("skipped an optional write (%s)", str(exc.orig).splitlines()[0] if exc.orig else exc)
        return False
    return True
