"""Real database faults against the real app: a held lock, a read-only file, a full disk, lost backends."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from casework.access import tokens
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.storage.db import make_engine
from casework.storage.tables import Case
from tests.conftest import TEST_SECRET_KEY
from tests.factories import Factory
from web import create_app

APP_NAME = "casework-fault-test"  # the application_name of the backends a test may terminate
IS_ROOT = os.geteuid() == 0
IN_CI = os.environ.get("CI", "").lower() == "true"


class Faulty:
    """The app on a database of its own, with a token and a flag payload ready, and its case count."""

    def __init__(self, cw, headers):
        self.cw, self.headers = cw, headers
        self.make = Factory(cw)
        self.app = create_app({"CASEWORK": cw, "TESTING": True, "WTF_CSRF_ENABLED": False})
        self.client = self.app.test_client()
        self.sequence = 0

    def flag(self):
        self.sequence += 1
        payload = self.make.flag_payload(external_id=f"fault_{self.sequence}")
        return self.client.post("/api/v1/flags", json=payload, headers=self.headers)

    def read(self):
        return self.client.get("/api/v1/cases", headers=self.headers)

    def cases(self) -> int:
        with self.cw.reader() as uow:
            return uow.session.execute(select(func.count()).select_from(Case)).scalar_one()


def faulty_app(url: str, **engine_args) -> Faulty:
    cw = bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=url), engine=make_engine(url, **engine_args))
    admin = Factory(cw).staff("admin")
    secret = tokens.issue_token(cw, admin.username, "faults").secret
    faulty = Faulty(cw, {"Authorization": f"Bearer {secret}"})
    faulty.admin = admin
    return faulty


def assert_unavailable(response, cause: str) -> None:
    """A 503 that says what happened, when to retry, and that nothing was changed."""
    assert response.status_code == 503, response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    if response.content_type == "application/problem+json":
        body = response.get_json()
        assert (body["status"], body["cause"]) == (503, cause)
        assert "nothing was changed" in body["detail"]
    else:
        assert "Nothing was changed" in response.get_data(as_text=True)


def fault_logs(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "web.faults"]


@pytest.fixture
def sqlite_app(tmp_path, sqlite_template):
    path = tmp_path / "faults" / "casework.db"
    path.parent.mkdir()
    shutil.copy(sqlite_template, path)
    faulty = faulty_app(f"sqlite:///{path}", busy_timeout=0.3)
    faulty.path = path
    yield faulty
    faulty.cw.engine.dispose()


@contextmanager
def read_only(path: Path):
    """Make a file read-only even for root (the immutable attribute), and writable again after."""
    if IS_ROOT:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.chmod(0o444)
    try:
        yield
    finally:
        if IS_ROOT:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o644)


@pytest.fixture
def full_disk_dir(tmp_path):
    """A small tmpfs of its own (mounting needs root; skipped only outside CI when not root)."""
    if not IS_ROOT:
        if IN_CI:
            pytest.fail("the full-disk test needs root in CI")
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "small-disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def app_backends(admin, waiting: bool = False) -> list[int]:
    query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = :name"
    if waiting:
        query += " AND wait_event_type = 'Lock'"
    return [r[0] for r in admin.execute(text(query), {"name": APP_NAME})]


def terminate_app_backends(admin) -> int:
    pids = app_backends(admin)
    for pid in pids:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    return len(pids)


@contextmanager
def refusing_connections(admin):
    """The database takes no new connections (as while PostgreSQL restarts), until the block ends."""
    url = make_url(str(admin.engine.url))
    # A database cannot close itself to connections: say it from the maintenance database.
    maintenance = make_engine(url.set(database="postgres").render_as_string(False), isolation_level="AUTOCOMMIT")
    with maintenance.connect() as other:
        other.execute(text(f'ALTER DATABASE "{url.database}" WITH ALLOW_CONNECTIONS false'))
        try:
            yield
        finally:
            other.execute(text(f'ALTER DATABASE "{url.database}" WITH ALLOW_CONNECTIONS true'))
    maintenance.dispose()


@pytest.fixture
def pg_admin(postgres_url):
    """A connection of the test's own, outside the app's pool, for doing harm to the app's backends."""
    engine = make_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        yield connection
    engine.dispose()
