"""PostgreSQL faults: the app's own backends terminated, and the database refusing connections meanwhile."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from casework.storage.db import make_engine
from tests.faults.conftest import assert_unavailable, faulty_app
from tests.polling import wait_for

APP_NAME = "casework-fault-test"
pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(postgres_url):
    faulty = faulty_app(postgres_url, connect_args={"application_name": APP_NAME})
    yield faulty
    faulty.cw.engine.dispose()


@pytest.fixture
def admin(postgres_url):
    """A connection of the test's own, outside the app's pool, for doing harm to the app's backends."""
    engine = make_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        yield connection
    engine.dispose()


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


def test_a_backend_terminated_mid_request_answers_503_writes_nothing_and_the_next_request_succeeds(pg_app, admin):
    before = pg_app.cases()
    seen = {}
    admin.execute(text("BEGIN"))
    admin.execute(text("LOCK TABLE cases IN ACCESS EXCLUSIVE MODE"))
    try:
        request = threading.Thread(target=lambda: seen.setdefault("response", pg_app.flag()))
        request.start()
        [pid] = wait_for(lambda: app_backends(admin, waiting=True))
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        request.join(10)
    finally:
        admin.execute(text("ROLLBACK"))
    assert_unavailable(seen["response"], "unavailable")
    assert pg_app.cases() == before
    assert pg_app.flag().status_code == 201
    assert pg_app.cases() == before + 1


def test_while_the_database_refuses_connections_every_request_is_503_and_service_resumes_after(pg_app, admin):
    assert pg_app.read().status_code == 200
    before = pg_app.cases()
    with refusing_connections(admin):
        assert terminate_app_backends(admin) >= 1
        read, write = pg_app.read(), pg_app.flag()
    assert_unavailable(read, "unavailable")
    assert_unavailable(write, "unavailable")
    assert pg_app.read().status_code == 200
    assert pg_app.cases() == before
    assert pg_app.flag().status_code == 201
