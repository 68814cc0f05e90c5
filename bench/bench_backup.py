"""Backup and restore at 100k cases: time to a checked copy, and to a restored, proven database (RTO)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

from bench.bench_web import _bulk_cases
from bench.common import fresh_runtime
from casework.audit import backups
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.storage.db import make_engine
from casework.storage.schema import migrate
from casework.storage.tables import Case

CASES = int(os.environ.get("BENCH_BACKUP_CASES", "100000"))
KEY = b"bench-checkpoint-key-of-enough-length-000"


def _postgres(url: str, suffix: str) -> str:
    """A database of the bench's own beside the one named (NAME_suffix), recreated empty."""
    parsed = make_engine(url).url
    name = f"{parsed.database}_{suffix}"
    admin = make_engine(
        parsed.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _measure(source_url: str, target_url: str, folder: Path) -> None:
    source = bootstrap(Settings(database_url=source_url))
    migrate(source.engine)
    _bulk_cases(source, CASES)
    file = folder / "casework.backup"
    report = backups.backup(source, file, KEY)
    target = bootstrap(Settings(database_url=target_url))
    start = time.perf_counter()
    check = backups.restore(target, file, KEY)
    restore_seconds = time.perf_counter() - start
    with target.reader() as uow:
        restored = uow.session.execute(select(func.count()).select_from(Case)).scalar_one()
    assert check.ok and restored == CASES, (check, restored)
    size = file.stat().st_size / 1e6
    print(
        f"  {source.engine.dialect.name}: {CASES:,} cases, backup {report.seconds:.1f} s ({size:.0f} MB, checked); "
        f"restore + proof {restore_seconds:.1f} s"
    )
    source.engine.dispose()
    target.engine.dispose()


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="casework-bench-backup-"))
    sqlite = fresh_runtime(str(folder), "live.db")
    sqlite.engine.dispose()
    _measure(f"sqlite:///{folder / 'live.db'}", f"sqlite:///{folder / 'restored.db'}", folder)
    if url := os.environ.get("CASEWORK_BENCH_DATABASE_URL"):
        source, target = _postgres(url, "backup_source"), _postgres(url, "backup_target")
        pg_folder = folder / "pg"
        pg_folder.mkdir()
        _measure(source, target, pg_folder)
