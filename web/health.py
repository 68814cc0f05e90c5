"""Operations endpoints: `/healthz` (alive), `/readyz` (able to serve), `/metrics` (Prometheus text)."""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Blueprint, Flask, Response, abort, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from casework.storage.heartbeat import last_pulse
from casework.storage.schema import schema_is_current
from web.authz import public
from web.extensions import casework
from web.metrics import CaseworkCollector
from web.request_ids import register_request_ids

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@public
def healthz():
    """The process answers; nothing else is checked, so a slow database never gets it restarted."""
    return jsonify(status="alive")


@bp.get("/readyz")
@public
def readyz():
    """Ready when the database answers, its schema is this code's, and a scheduler beat recently."""
    cw = casework()
    checks: dict[str, str] = {}
    try:
        with cw.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
        checks["schema"] = "current" if schema_is_current(cw.engine) else "not at the head of the migrations"
        pulse = last_pulse(cw.engine)
        if pulse is None:
            checks["scheduler"] = "no heartbeat yet"
        else:
            age = (cw.now() - pulse.beat_at).total_seconds()
            fresh = pulse.fresh(cw.now())
            checks["scheduler"] = ("ok" if fresh else "stale") + f": last beat {age:.0f} s ago from {pulse.process}"
    except DBAPIError as exc:
        checks["database"] = f"unavailable: {str(exc.orig).strip().splitlines()[0] if exc.orig else exc}"
    ready = (
        checks.get("database") == "ok"
        and checks.get("schema") == "current"
        and checks.get("scheduler", "").startswith("ok")
    )
    response = jsonify(status="ready" if ready else "not ready", checks=checks)
    response.status_code = 200 if ready else 503
    return response


@bp.get("/metrics")
@public
def metrics():
    """Prometheus text format, to the configured token (CASEWORK_METRICS_TOKEN) or from this machine."""
    if not _may_scrape():
        abort(403, description="metrics are served to loopback or with Authorization: Bearer $CASEWORK_METRICS_TOKEN")
    registry: CollectorRegistry = g.casework_metrics_registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _may_scrape() -> bool:
    token = os.environ.get("CASEWORK_METRICS_TOKEN", "")
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode()):
        return True
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def register_operations(app: Flask) -> None:
    """The endpoints, request ids, and per-endpoint request counts and latency (this process's own)."""
    registry = CollectorRegistry()
    requests = Counter(
        "casework_http_requests", "HTTP requests answered", ["endpoint", "method", "status"], registry=registry
    )
    latency = Histogram("casework_http_request_duration_seconds", "Time to answer", ["endpoint"], registry=registry)
    registry.register(CaseworkCollector(app.extensions["casework"]))
    register_request_ids(app)
    app.register_blueprint(bp)

    @app.before_request
    def start_timer():
        g.casework_started = time.perf_counter()
        g.casework_metrics_registry = registry

    @app.after_request
    def count(response):
        endpoint = request.endpoint or "unmatched"
        requests.labels(endpoint, request.method, str(response.status_code)).inc()
        if started := g.get("casework_started"):
            latency.labels(endpoint).observe(time.perf_counter() - started)
        return response
