"""Database faults named by their cause, so every entry point answers them the same way (503, exit 4)."""

from __future__ import annotations

import re

from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, NoSuchModuleError, OperationalError

from casework.errors import ConfigurationError, DatabaseUnavailable

# (cause, what the user is told, seconds to wait before retrying), matched on the driver's message.
_KNOWN: list[tuple[re.Pattern[str], str, str, int]] = [
    (
        re.compile(r"database is locked|database table is locked|lock timeout|canceling statement due to lock"),
        "locked",
        "the database is busy (another process holds its lock)",
        5,
    ),
    (
        re.compile(r"database or disk is full|no space left on device|could not extend file|disk full"),
        "disk full",
        "the database's disk is full",
        30,
    ),
    (re.compile(r"readonly database|read-only transaction"), "read-only", "the database is read-only", 30),
    (
        re.compile(r"database \"[^\"]*\" does not exist|unable to open database file"),
        "missing",
        "the database does not exist or cannot be opened",
        30,
    ),
    (
        re.compile(r"no such table|relation \"[^\"]*\" does not exist"),
        "no schema",
        "the database has no casework schema (run `casework init`)",
        30,
    ),
]


def database_fault(exc: BaseException) -> DatabaseUnavailable | None:
    """The fault an exception from the driver stands for, or None if it is a bug rather than a fault."""
    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig if exc.orig is not None else exc).lower()
    for pattern, cause, sentence, retry in _KNOWN:
        if pattern.search(text):
            return DatabaseUnavailable(f"{sentence}; nothing was changed", cause=cause, retry_after=retry)
    if _lost_connection(exc):
        first = text.strip().splitlines()[0] if text.strip() else type(exc.orig).__name__
        return DatabaseUnavailable(
            f"the database cannot be reached ({first}); nothing was changed", cause="unavailable", retry_after=5
        )
    return None


def _lost_connection(exc: DBAPIError) -> bool:
    """psycopg's OperationalError is always the server or the network; SQLite's also covers bad SQL."""
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, InterfaceError | OperationalError):
        return False
    return type(exc.orig).__module__.startswith("psycopg") or "disk i/o error" in str(exc.orig).lower()


# What creating an engine raises for a URL that cannot even be tried: not a URL, a bad port, a
# dialect or driver casework does not ship.
UNUSABLE_URL = (ArgumentError, NoSuchModuleError, ModuleNotFoundError, ValueError)


def configuration_fault(url: str) -> ConfigurationError:
    """The sentence for a database URL in `UNUSABLE_URL`'s sense."""
    return ConfigurationError(
        f"CASEWORK_DATABASE_URL {_hidden(url)!r} is not a database casework supports: "
        "use sqlite:///PATH or postgresql+psycopg://USER@HOST[:PORT]/NAME"
    )


def _hidden(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)
