"""The command line answers configuration and database faults with one sentence and exit 3 or 4, no traceback."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.faults.conftest import app_backends, read_only, refusing_connections, terminate_app_backends

CASEWORK = str(Path(sys.executable).parent / "casework")  # the installed command, as people run it


def casework(*args, url: str, env: dict | None = None, **popen):
    environment = {**os.environ, "CASEWORK_DATABASE_URL": url, **(env or {})}
    command = [CASEWORK, *args]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, **popen)


def assert_refused(result, code: int, words: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and words in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("nonsense", "'nonsense' is not a database casework supports"),
        ("mysql://casework@db/casework", "is not a database casework supports"),
        ("postgresql+psycopg://casework:s3cret@db:notaport/x", "casework:***@db"),
    ],
)
def test_a_database_url_that_cannot_be_tried_is_a_configuration_error_exit_3(url, words):
    assert_refused(casework("cases", "list", url=url), 3, words)


def test_an_unreachable_postgresql_is_exit_4_naming_the_cause():
    result = casework("cases", "list", url="postgresql+psycopg://postgres@127.0.0.1:1/casework")
    assert_refused(result, 4, "the database cannot be reached")


def test_a_missing_postgresql_database_is_exit_4(postgres_url):
    from sqlalchemy.engine import make_url

    missing = make_url(postgres_url).set(database="casework_no_such_database").render_as_string(False)
    assert_refused(casework("cases", "list", url=missing), 4, "does not exist")


def test_no_command_but_init_creates_a_sqlite_database(tmp_path):
    path = tmp_path / "new" / "casework.db"
    assert_refused(casework("cases", "list", url=f"sqlite:///{path}"), 4, "run `casework init`")
    assert not path.exists()
    assert casework("init", url=f"sqlite:///{path}").returncode == 0
    assert casework("cases", "list", url=f"sqlite:///{path}").returncode == 0


@pytest.mark.parametrize("command", [["serve", "--port", "1", "--no-scheduler"], ["worker"]])
def test_serve_and_worker_refuse_a_missing_sqlite_database_and_create_none(tmp_path, command):
    path = tmp_path / "new" / "casework.db"
    env = {"CASEWORK_SECRET_KEY": TEST_SECRET_KEY, "CASEWORK_INSTANCE_PATH": str(tmp_path / "instance")}
    started = casework(*command, url=f"sqlite:///{path}", env=env)
    assert_refused(started, 4, f"no database at {path}: run `casework init`")
    assert "serving on" not in started.stdout
    assert not path.parent.exists()


def test_serve_refuses_an_empty_sqlite_file_and_creates_no_schema(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()  # a database with no casework schema: serving it would make an empty instance
    env = {"CASEWORK_SECRET_KEY": TEST_SECRET_KEY, "CASEWORK_INSTANCE_PATH": str(tmp_path / "instance")}
    started = casework("serve", "--port", "1", "--no-scheduler", url=f"sqlite:///{path}", env=env)
    assert_refused(started, 4, "no casework schema (run `casework init`)")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_config_check_on_a_missing_sqlite_database_creates_none(tmp_path):
    path = tmp_path / "new" / "casework.db"
    assert casework("config", "check", url=f"sqlite:///{path}").returncode == 0
    assert not path.parent.exists()


def test_an_empty_sqlite_file_says_it_has_no_schema(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    assert_refused(casework("cases", "list", url=f"sqlite:///{path}"), 4, "no casework schema")


def test_a_write_on_a_read_only_file_is_exit_4_and_reads_still_work(tmp_path, sqlite_template):
    path = tmp_path / "ro.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    with read_only(path):
        assert casework("cases", "list", url=url).returncode == 0
        added = casework(
            "users", "add", "ro.user", "--role", "comms", "--force", "warwickshire", "--no-password", url=url
        )
    assert_refused(added, 4, "the database is read-only")


def test_a_database_lost_during_import_ends_with_exit_4_and_a_sentence(tmp_path, postgres_url, pg_admin):
    from casework.bootstrap import bootstrap
    from casework.config import Settings
    from tests.factories import Factory

    cw = bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=postgres_url))
    Factory(cw).staff("admin")
    cw.engine.dispose()
    lines = tmp_path / "big.jsonl"
    with lines.open("w") as out:
        for n in range(20_000):
            line = {
                "force": "warwickshire",
                "platform": "facebook",
                "channel": "Force page",
                "reason": "race",
                "external_id": f"lost-{n}",
                "permalink": f"https://facebook.com/lost-{n}",
                "text": f"comment {n}",
            }
            out.write(json.dumps(line) + "\n")
    env = {**os.environ, "CASEWORK_DATABASE_URL": postgres_url, "PGAPPNAME": "casework-fault-test"}
    command = [CASEWORK, "import", str(lines), "--as", "wa.admin"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not app_backends(pg_admin) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # well into the file
        with refusing_connections(pg_admin):
            assert terminate_app_backends(pg_admin) >= 1
            _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 4, stderr
    assert "Traceback" not in stderr
    assert "error: the database cannot be reached" in stderr
