"""Backups are checked copies with a signed checkpoint; a restore refuses to overwrite and proves itself."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from casework.entrypoints.cli import main
from casework.storage.db import make_engine
from casework.storage.tables import Case

KEY = "a-checkpoint-key-the-auditors-hold-0123456789"


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("CASEWORK_CHECKPOINT_KEY", KEY)
    runner = CliRunner()

    def invoke(url, *args):
        return runner.invoke(main, ["--db", url, *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def empty_target(cw, tmp_path):
    """A new database to restore into: a SQLite path with nothing there, or a second PostgreSQL database.

    The PostgreSQL one is made once and then emptied (its schema recreated) before and after each test, as the
    test database itself is: DROP DATABASE forces a checkpoint, 8-12 s on a busy machine."""
    if cw.engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'casework.db'}"
        return
    url = make_url(str(cw.engine.url.render_as_string(False)))
    name = f"{url.database}_restore"
    maintenance = make_engine(url.set(database="postgres").render_as_string(False), isolation_level="AUTOCOMMIT")
    with maintenance.connect() as connection:
        if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    maintenance.dispose()
    target = url.set(database=name).render_as_string(False)
    _empty(target)
    yield target
    _empty(target)


def _empty(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def cases_in(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Case)).scalar_one()
    finally:
        engine.dispose()


def test_a_backup_taken_while_cases_arrive_restores_and_verifies_against_its_checkpoint(
    cw, make, run, tmp_path, empty_target
):
    url = cw.engine.url.render_as_string(False)
    for _ in range(5):
        make.case()
    stop = threading.Event()

    def keep_flagging():
        while not stop.is_set():
            make.case()

    writer = threading.Thread(target=keep_flagging)
    writer.start()
    try:
        backed_up = run(url, "backup", str(tmp_path / "copy.backup"))
    finally:
        stop.set()
        writer.join()
    assert backed_up.exit_code == 0, backed_up.output
    assert (tmp_path / "copy.backup.checkpoint.json").is_file()
    restored = run(empty_target, "restore", str(tmp_path / "copy.backup"))
    assert restored.exit_code == 0, restored.output
    assert "holds: the first" in restored.output
    assert cases_in(empty_target) >= 5
    assert run(empty_target, "audit", "verify").exit_code == 0


def test_restore_refuses_a_database_that_is_not_empty(cw, make, run, tmp_path):
    url = cw.engine.url.render_as_string(False)
    make.case()
    assert run(url, "backup", str(tmp_path / "copy.backup")).exit_code == 0
    refused = run(url, "restore", str(tmp_path / "copy.backup"))
    assert refused.exit_code == 3
    assert "not empty" in refused.output
    assert cases_in(url) == 1


def test_a_stale_copy_fails_the_proof_against_a_newer_checkpoint(cw, make, run, tmp_path, empty_target):
    url = cw.engine.url.render_as_string(False)
    make.case()
    assert run(url, "backup", str(tmp_path / "old.backup")).exit_code == 0
    make.case()
    assert run(url, "backup", str(tmp_path / "new.backup")).exit_code == 0
    newer = str(tmp_path / "new.backup.checkpoint.json")
    restored = run(empty_target, "restore", str(tmp_path / "old.backup"), "--checkpoint", newer)
    assert restored.exit_code == 1
    assert "cut off" in restored.output


def test_a_backup_never_overwrites_a_file(cw, run, tmp_path):
    (tmp_path / "taken").write_text("keep me")
    refused = run(cw.engine.url.render_as_string(False), "backup", str(tmp_path / "taken"))
    assert refused.exit_code == 3
    assert (tmp_path / "taken").read_text() == "keep me"


def test_audit_verify_checks_the_sqlite_file_before_the_chain(sqlite_url, run):
    path = make_url(sqlite_url).database
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE filler (x)")
        connection.execute("CREATE INDEX filler_x ON filler (x)")
        connection.executemany("INSERT INTO filler VALUES (?)", [(f"{n:0>200}",) for n in range(2000)])
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(path, "r+b") as damaged:  # what a plain `cp` under load leaves: pages from two moments
        damaged.seek(-40 * 4096, 2)
        damaged.write(b"\xff" * 8192)
    result = run(sqlite_url, "audit", "verify")
    assert result.exit_code == 1
    assert "damaged (quick_check)" in result.output
