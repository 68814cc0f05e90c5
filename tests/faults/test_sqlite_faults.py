"""SQLite faults: each answers 503 with Retry-After, leaves nothing half-written, and passes by itself."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3

from casework.storage.checkpoints import CHECKPOINTER
from tests.e2e.session_support import sign_in_client
from tests.faults.conftest import assert_unavailable, fault_logs, faulty_app, read_only
from tests.polling import wait_for


def test_a_held_write_lock_refuses_writes_with_503_while_reads_and_token_checks_go_on(sqlite_app, caplog):
    before = sqlite_app.cases()
    holder = sqlite3.connect(sqlite_app.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.INFO):
            assert sqlite_app.read().status_code == 200  # the token's first use is due, and skipped
            refused = sqlite_app.flag()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_unavailable(refused, "locked")
    assert refused.content_type == "application/problem+json"
    [logged] = [r for r in fault_logs(caplog) if "POST /api/v1/flags" in r.getMessage()]
    assert "database locked" in logged.getMessage() and logged.levelno == logging.ERROR
    assert sqlite_app.cases() == before
    assert sqlite_app.flag().status_code == 201


def test_a_held_lock_answers_a_plain_page_to_a_person(sqlite_app):
    sign_in_client(sqlite_app.client, sqlite_app.admin.username)
    holder = sqlite3.connect(sqlite_app.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        page = sqlite_app.client.post("/flag", data=sqlite_app.make.flag_payload(external_id="page_1"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_unavailable(page, "locked")
    assert page.mimetype == "text/html"
    assert "temporarily unavailable" in page.get_data(as_text=True)


def test_a_read_only_file_serves_reads_refuses_writes_and_recovers_when_writable(tmp_path, sqlite_template, caplog):
    path = tmp_path / "ro.db"
    shutil.copy(sqlite_template, path)
    app = faulty_app(f"sqlite:///{path}", busy_timeout=0.3)
    before = app.cases()
    try:
        with read_only(path), caplog.at_level(logging.INFO):
            # Connections opened from now on find the file read-only. No checkpoint pass may be open while
            # the pool closes: SQLite would keep that pass's read-write handle for the next connection.
            with CHECKPOINTER.running:
                app.cw.engine.dispose()
            assert app.read().status_code == 200
            assert app.client.get("/api/v1/cases", headers=app.headers).status_code == 200
            refused = app.flag()
        assert_unavailable(refused, "read-only")
        assert [r.levelno for r in fault_logs(caplog)] == [logging.ERROR]
        assert app.cases() == before
        assert app.flag().status_code == 201  # the same app, no restart
    finally:
        app.cw.engine.dispose()


def test_a_full_disk_refuses_writes_with_503_and_recovers_when_space_returns(full_disk_dir, sqlite_template):
    path = full_disk_dir / "casework.db"
    shutil.copy(sqlite_template, path)
    app = faulty_app(f"sqlite:///{path}", busy_timeout=0.3)
    try:
        assert app.flag().status_code == 201
        wait_for(lambda: str(path.resolve()) in CHECKPOINTER.last_pass)  # as in service: the WAL was copied back
        before = app.cases()
        filler = full_disk_dir / "filler"
        fill(filler)
        # A write that fits in the WAL's space already on disk (the checkpoint thread let the WAL start
        # over) is taken; once the WAL must grow, the disk refuses.
        responses = [app.flag() for _ in range(8)]
        taken = [r for r in responses if r.status_code == 201]
        refused = [r for r in responses if r.status_code != 201]
        assert len(taken) <= 2 and refused
        for response in refused:
            assert_unavailable(response, "disk full")
        filler.unlink()
        assert app.cases() == before + len(taken)  # nothing half-written, nothing taken lost
        assert app.flag().status_code == 201
        assert app.cases() == before + len(taken) + 1
    finally:
        app.cw.engine.dispose()


def fill(path) -> None:
    """Write zeros until the disk says it is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
