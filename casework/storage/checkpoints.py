"""SQLite's WAL checkpoints on a thread of their own, so that no action's commit waits for one.

With SQLite's default, the commit that takes the WAL past 1,000 pages copies them all back into the
database file and syncs it: one action in a few dozen waits milliseconds for work that is not its own
(half of all commit time, measured on the bench's lifecycle). Here the writers' own threshold is a far
higher backstop, for when this thread cannot keep up, and one daemon thread per process runs a PASSIVE
checkpoint (it blocks neither readers nor writers) of each database committed to since its last pass.
The WAL is synced at each pass, so what `synchronous=NORMAL` can lose to a power cut is bounded by the
pass interval instead of by a page count. The scheduler's `storage.checkpoint` job still truncates the
file now and then (`casework.storage.maintenance`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

BACKSTOP_PAGES = 10_000  # a writer checkpoints itself only past this (SQLite's default is 1,000)
INTERVAL_SECONDS = 0.05  # commits gather this long, so that a pass copies each hot page once


class Checkpointer:
    """Checkpoints the databases that commits name, on one daemon thread started by the first commit.

    With `interval` None there is no thread: whoever holds the checkpointer runs its passes.
    """

    def __init__(self, interval: float | None = INTERVAL_SECONDS):
        self.interval = interval
        self.last_pass: dict[str, tuple[int, int, int]] = {}  # what the last pass did, by path
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked worker starts its own thread

    def _reset(self) -> None:
        self.running = threading.Lock()  # held through a pass: a checkpoint that must run alone takes it
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._dirty: set[str] = set()
        self._thread: threading.Thread | None = None

    def watch(self, engine: Engine, path: str) -> None:
        """Checkpoint `path` after the engine's commits."""

        @event.listens_for(engine, "commit")
        def on_commit(_connection: Connection) -> None:
            self.committed(path)

    def committed(self, path: str) -> None:
        """A commit on `path`: it is checkpointed at the next pass (called on every commit, so cheap)."""
        if path in self._dirty:
            return
        with self._lock:
            self._dirty.add(path)
            if self.interval is not None and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)
                self._thread.start()
        self._wake.set()

    def run_pass(self) -> dict[str, tuple[int, int, int]]:
        """Checkpoint what was committed to since the last pass: (busy, WAL pages, pages copied) by path."""
        with self._lock:
            paths, self._dirty = self._dirty, set()
            self._wake.clear()
        if not paths:  # woken by a commit whose database the pass before already took
            return {}
        done = {}
        with self.running:
            for path in paths:
                if (result := checkpoint(path)) is not None:
                    done[path] = result
        self.last_pass = done
        return done

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.interval or 0)  # let commits gather
            try:
                self.run_pass()
            except Exception:  # the thread must outlive any one database's trouble
                log.exception("WAL checkpoint pass failed; the next commit brings another")


def checkpoint(path: str) -> tuple[int, int, int] | None:
    """One PASSIVE checkpoint of the database at `path` on a connection of its own; None if it cannot run
    (the file is gone or unreadable: the writers' backstop and the next pass cover it)."""
    try:
        # mode=rw: a database removed meanwhile is not created again, empty
        connection = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, isolation_level=None, timeout=0)
    except sqlite3.Error as exc:
        log.debug("no checkpoint of %s: %s", path, exc)
        return None
    try:
        busy, pages, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(pages), int(copied)
    except sqlite3.Error as exc:
        log.info("WAL checkpoint of %s failed, left to the next pass: %s", path, exc)
        return None
    finally:
        connection.close()


CHECKPOINTER = Checkpointer()
