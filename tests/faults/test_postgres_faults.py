"""PostgreSQL faults: the app's own backends terminated, and the database refusing connections meanwhile."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from tests.faults.conftest import (
    APP_NAME,
    app_backends,
    assert_unavailable,
    faulty_app,
    refusing_connections,
    terminate_app_backends,
)
from tests.polling import wait_for

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(postgres_url):
    faulty = faulty_app(postgres_url, connect_args={"application_name": APP_NAME})
    yield faulty
    faulty.cw.engine.dispose()


def test_a_backend_terminated_mid_request_answers_503_writes_nothing_and_the_next_request_succeeds(pg_app, pg_admin):
    admin = pg_admin
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


def test_while_the_database_refuses_connections_every_request_is_503_and_service_resumes_after(pg_app, pg_admin):
    admin = pg_admin
    assert pg_app.read().status_code == 200
    before = pg_app.cases()
    with refusing_connections(admin):
        assert terminate_app_backends(admin) >= 1
        read, write = pg_app.read(), pg_app.flag()
        ready = pg_app.client.get("/readyz")
        alive = pg_app.client.get("/healthz")
    assert (ready.status_code, alive.status_code) == (503, 200)
    assert ready.get_json()["checks"]["database"].startswith("unavailable: ")
    assert_unavailable(read, "unavailable")
    assert_unavailable(write, "unavailable")
    assert pg_app.read().status_code == 200
    assert pg_app.cases() == before
    assert pg_app.flag().status_code == 201
