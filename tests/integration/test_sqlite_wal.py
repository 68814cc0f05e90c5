"""SQLite's write-ahead log stays small: a size limit on every connection and a periodic checkpoint job."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from casework.entrypoints.scheduler import JOBS
from casework.storage.db import JOURNAL_SIZE_LIMIT
from casework.storage.maintenance import checkpoint_wal


def test_every_connection_caps_the_wal_and_the_checkpoint_job_truncates_it(cw, make):
    if cw.engine.dialect.name != "sqlite":
        assert checkpoint_wal(cw) is None
        return
    with cw.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_size_limit")).scalar() == JOURNAL_SIZE_LIMIT
    for _ in range(20):
        make.case()
    wal = Path(f"{cw.engine.url.database}-wal")
    assert wal.stat().st_size > 0
    busy, _, _ = checkpoint_wal(cw)
    assert busy == 0 and wal.stat().st_size == 0
    assert make.case()  # and the database goes on working


def test_the_checkpoint_runs_on_the_scheduler():
    [job] = [j for j in JOBS if j.id == "storage.checkpoint"]
    assert job.target == "casework.storage.maintenance:checkpoint_wal"
    assert job.every_env == "CASEWORK_SQLITE_CHECKPOINT_SECONDS"
