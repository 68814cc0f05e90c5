"""A fault is logged once, with its cause, into gunicorn's error log when gunicorn runs the app."""

from __future__ import annotations

import io
import json
import logging
import sqlite3

import pytest

from casework.logs import configure_logging


@pytest.fixture
def gunicorn_error_log():
    """gunicorn's error logger as gunicorn sets it up: its own handler, writing to its log file."""
    stream = io.StringIO()
    gunicorn = logging.getLogger("gunicorn.error")
    handler = logging.StreamHandler(stream)
    gunicorn.addHandler(handler)
    gunicorn.setLevel(logging.INFO)
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    yield stream
    gunicorn.removeHandler(handler)
    gunicorn.propagate = True
    root.handlers[:], root.level = before


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_a_locked_database_is_one_line_with_its_cause_in_gunicorns_error_log(sqlite_app, gunicorn_error_log, fmt):
    configure_logging({"CASEWORK_LOG_FORMAT": fmt})
    holder = sqlite3.connect(sqlite_app.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert sqlite_app.flag().status_code == 503
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    lines = [line for line in gunicorn_error_log.getvalue().splitlines() if "web.faults" in line]
    assert len(lines) == 1, gunicorn_error_log.getvalue()
    assert "database locked on POST /api/v1/flags" in lines[0]
    assert "Traceback" not in gunicorn_error_log.getvalue()
    if fmt == "json":
        record = json.loads(lines[0])
        assert (record["level"], record["name"]) == ("ERROR", "web.faults")
