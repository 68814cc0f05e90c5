"""/healthz, /readyz and /metrics: what an orchestrator and Prometheus see, and who may scrape."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text

from casework.entrypoints.scheduler import heartbeat
from casework.logs import configure_logging


def test_healthz_says_alive_without_signing_in(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "alive"})


def test_readyz_waits_for_a_scheduler_heartbeat_and_calls_it_stale_after_three_intervals(
    client, cw, clock, monkeypatch
):
    monkeypatch.setenv("CASEWORK_SLA_SWEEP_SECONDS", "30")
    waiting = client.get("/readyz")
    assert waiting.status_code == 503
    assert waiting.get_json()["checks"]["scheduler"] == "no heartbeat yet"
    heartbeat(cw)
    clock.advance(seconds=89)
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["checks"] == {
        "database": "ok",
        "schema": "current",
        "scheduler": ready.get_json()["checks"]["scheduler"],
    }
    assert ready.get_json()["checks"]["scheduler"].startswith("ok: last beat 89 s ago")
    clock.advance(seconds=1)
    stale = client.get("/readyz")
    assert stale.status_code == 503
    assert stale.get_json()["checks"]["scheduler"].startswith("stale")


def test_readyz_is_not_ready_on_a_schema_behind_the_code(client, cw):
    heartbeat(cw)
    with cw.engine.begin() as connection:
        head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        connection.execute(text("UPDATE alembic_version SET version_num = '0006'"))
    try:
        response = client.get("/readyz")
    finally:  # the PostgreSQL schema is shared by the session's tests: put its version back
        with cw.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    assert response.status_code == 503
    assert response.get_json()["checks"]["schema"] == "not at the head of the migrations"


def test_metrics_count_cases_transitions_outbox_and_requests(client, make, staff, clock):
    staff.add("bureau.mail", "crime_bureau")  # hears of the referral by e-mail
    make.case("admin_review")
    make.case("crime_bureau_advice")
    clock.advance(seconds=90)
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    for line in (
        'casework_open_cases{state="detected"} 0.0',
        'casework_open_cases{state="admin_review"} 1.0',
        'casework_open_cases{state="crime_bureau_advice"} 1.0',
        'casework_transitions_total{trigger="start_review"} 2.0',
        'casework_transitions_total{trigger="refer"} 1.0',
        'casework_outbox_depth{channel="email",kind="referral"} 1.0',
        'casework_outbox_oldest_age_seconds{channel="email",kind="referral"} 90.0',
        'casework_http_requests_total{endpoint="ops.healthz",method="GET",status="200"} 1.0',
        "casework_database_up 1.0",
    ):
        assert line in body, body
    assert "casework_http_request_duration_seconds_bucket" in body


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 403), ({"Authorization": "Bearer wrong"}, 403), ({"Authorization": "Bearer scrape-token-1234"}, 200)],
)
def test_metrics_are_served_only_to_loopback_or_the_configured_token(client, monkeypatch, headers, status):
    monkeypatch.setenv("CASEWORK_METRICS_TOKEN", "scrape-token-1234")
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == status


def test_json_logs_carry_the_request_id_that_is_echoed_to_the_client(app, client, capsys):
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        configure_logging({"CASEWORK_LOG_FORMAT": "json"})
        with app.test_request_context("/healthz", headers={"X-Request-ID": "req-42"}):
            app.preprocess_request()
            logging.getLogger("web.test").warning("inside %s", "a request")
        logging.getLogger("web.test").warning("outside %s", "any request")
    finally:
        root.handlers[:], root.level = before
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if "web.test" in x]
    assert [(x["level"], x["message"], x["request_id"]) for x in lines] == [
        ("WARNING", "inside a request", "req-42"),
        ("WARNING", "outside any request", "-"),
    ]
    assert client.get("/healthz", headers={"X-Request-ID": "req-43"}).headers["X-Request-ID"] == "req-43"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id; with spaces"}).headers["X-Request-ID"]
    assert len(made) == 32 and made.isalnum()
