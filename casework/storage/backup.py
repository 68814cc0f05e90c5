"""Copies of the database that are known good: SQLite's online backup API, PostgreSQL's pg_dump/pg_restore.

A plain file copy of a SQLite database being written is usually corrupt (PITFALLS.md), so the copy is
made page by page through the backup API, which lets writers in between steps, and then checked with
`integrity_check`. A PostgreSQL dump is in the custom format and checked by `pg_restore --list`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DatabaseError

from casework.errors import CaseworkError, ConfigurationError

PAGES_PER_STEP = 4096  # 8 MB at casework's page size (16 MB at SQLite's default): writers wait at most one step


class BackupFailed(CaseworkError):
    title = "Backup or restore failed"
    exit_code = 4


def sqlite_path(engine: Engine) -> Path | None:
    database = engine.url.database
    return Path(database) if engine.dialect.name == "sqlite" and database and database != ":memory:" else None


def quick_check(engine: Engine) -> list[str]:
    """SQLite's own check of the file's structure (empty when sound); nothing to check on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return []
    try:
        with engine.connect() as connection:
            rows = [str(r[0]) for r in connection.exec_driver_sql("PRAGMA quick_check")]
    except DatabaseError as exc:  # damage bad enough that the check itself cannot read the file
        if "malformed" not in str(exc.orig) and "not a database" not in str(exc.orig):
            raise
        return [str(exc.orig)]
    return [] if rows == ["ok"] else rows


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a live SQLite database through the backup API, then prove the copy with integrity_check."""
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy, pages=PAGES_PER_STEP)
    with sqlite3.connect(target) as copy:
        problems = [r[0] for r in copy.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        target.unlink(missing_ok=True)
        raise BackupFailed(f"the copy failed its integrity check ({'; '.join(problems[:3])}); it was removed")


def dump_postgres(url: URL, target: Path) -> None:
    """pg_dump in the custom format, then `pg_restore --list` must be able to read it back."""
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _conninfo(url)], url, "pg_dump")
    try:
        _run(["pg_restore", "--list", str(target)], url, "pg_restore --list")
    except BackupFailed:
        target.unlink(missing_ok=True)
        raise


def restore_postgres(source: Path, url: URL) -> None:
    """Restore a custom-format dump in one transaction: all of it or nothing."""
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={_conninfo(url)}",
            str(source),
        ],
        url,
        "pg_restore",
    )


def is_empty(engine: Engine) -> bool:
    """No tables at all (a new SQLite file or a new PostgreSQL database): the only safe restore target."""
    path = sqlite_path(engine)
    if path is not None and (not path.exists() or path.stat().st_size == 0):
        return True
    return not inspect(engine).get_table_names()


def _conninfo(url: URL) -> str:
    # The password goes in PGPASSWORD, not on a command line that `ps` shows.
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(command: list[str], url: URL, what: str) -> None:
    if shutil.which(command[0]) is None:
        raise ConfigurationError(f"{command[0]} is not installed: install the PostgreSQL client tools")
    env = {**os.environ, **({"PGPASSWORD": str(url.password)} if url.password else {})}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
        raise BackupFailed(f"{what} failed: {reason}")
