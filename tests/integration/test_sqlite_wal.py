"""SQLite's write-ahead log: checkpointed off the commits by a thread, size-limited, truncated by a periodic job."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from casework.entrypoints.scheduler import JOBS
from casework.storage.checkpoints import BACKSTOP_PAGES, Checkpointer, checkpoint
from casework.storage.db import JOURNAL_SIZE_LIMIT, PAGE_SIZE, make_engine
from casework.storage.maintenance import checkpoint_wal
from tests.polling import wait_for


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


WAL_FRAME = PAGE_SIZE + 24  # a page and its frame header


def test_a_new_database_takes_the_page_size_and_one_made_before_keeps_its_own(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA page_size").scalar() == PAGE_SIZE != 4096
    engine.dispose()
    older = sqlite3.connect(tmp_path / "old.db")
    older.executescript("PRAGMA page_size=4096; CREATE TABLE kept (n INTEGER); INSERT INTO kept VALUES (1);")
    older.close()
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        assert connection.exec_driver_sql("PRAGMA page_size").scalar() == 4096
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        connection.exec_driver_sql("INSERT INTO kept VALUES (2)")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM kept").scalar() == 2
    engine.dispose()


def _write_pages(engine, commits: int = 20, rows: int = 100) -> None:
    """About commits x rows pages, one commit at a time (each row a blob that fills most of a page)."""
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS filler (data BLOB)"))
    for _ in range(commits):
        with engine.begin() as connection:
            connection.execute(text(f"INSERT INTO filler VALUES (randomblob({PAGE_SIZE * 3 // 4}))"), [{}] * rows)


def test_no_commit_checkpoints_the_checkpointer_copies_the_wal_back(tmp_path):
    keeper = Checkpointer(interval=None)  # no thread: this test runs the passes
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}", checkpointer=keeper)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES
    _write_pages(engine)
    wal = tmp_path / "w.db-wal"
    # SQLite's default would have checkpointed at 1,000 pages and written the WAL over from its start
    assert wal.stat().st_size > 1_500 * WAL_FRAME
    [(path, (busy, pages, copied))] = keeper.run_pass().items()
    assert path == str((tmp_path / "w.db").resolve())
    assert busy == 0 and pages > 1_500 and copied == pages
    assert keeper.run_pass() == {}  # nothing committed since
    assert keeper.last_pass[path] == (busy, pages, copied)  # an empty pass leaves the last one's account
    size = wal.stat().st_size
    _write_pages(engine, commits=2)
    assert wal.stat().st_size == size  # the WAL starts over once copied back, instead of growing
    engine.dispose()


def test_the_checkpointer_thread_runs_after_commits_by_itself(tmp_path):
    keeper = Checkpointer(interval=0.01)
    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}", checkpointer=keeper)
    _write_pages(engine, commits=3)
    path = str((tmp_path / "t.db").resolve())
    done = wait_for(lambda: keeper.last_pass.get(path))
    assert done[0] == 0 and done[2] == done[1]  # every page copied back
    engine.dispose()


def test_a_checkpoint_never_creates_a_database_that_was_removed(tmp_path):
    gone = tmp_path / "gone.db"
    assert checkpoint(str(gone)) is None
    assert not gone.exists()
