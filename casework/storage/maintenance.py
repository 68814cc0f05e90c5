"""Keeping SQLite's write-ahead log small: a periodic checkpoint that truncates it (a no-op on PostgreSQL)."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy.engine import Engine

from casework.storage.checkpoints import CHECKPOINTER

log = logging.getLogger(__name__)


class HasEngine(Protocol):
    @property
    def engine(self) -> Engine: ...


def checkpoint_wal(cw: HasEngine) -> tuple[int, int, int] | None:
    """Copy the WAL into the database and truncate it; (busy, wal pages, pages copied), None off SQLite.

    Readers still inside an old snapshot make it stop short (busy=1); the next run finishes the job, and
    `journal_size_limit` caps what is left on disk meanwhile.
    """
    if cw.engine.dialect.name != "sqlite":
        return None
    connection = cw.engine.raw_connection()  # outside any transaction: a checkpoint cannot run inside one
    try:
        with CHECKPOINTER.running:  # not beside this process's own checkpoint pass, which would make it busy
            busy, pages, copied = (
                int(v) for v in connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            )
    finally:
        connection.close()
    if busy:
        log.info("WAL checkpoint stopped short: %d of %d pages copied (readers still open)", copied, pages)
    return busy, pages, copied
