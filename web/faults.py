"""Database faults answer 503 with Retry-After (problem+json under /api, a plain page elsewhere).

The page does not extend base.html: that would load the signed-in user and the inbox count from the
very database that just failed.
"""

from __future__ import annotations

import logging

from flask import Flask, make_response, render_template, request
from sqlalchemy.exc import DBAPIError

from casework.errors import DatabaseUnavailable
from casework.storage.faults import database_fault
from web.errors import _render, problem, wants_problem_json

log = logging.getLogger(__name__)


def unavailable(fault: DatabaseUnavailable):
    """The 503 response for a fault; the message already says that nothing was changed."""
    if wants_problem_json():
        response = problem(503, fault.title, fault.message, cause=fault.cause)
    else:
        detail = fault.message.removesuffix("; nothing was changed")
        page = render_template("unavailable.html", detail=detail, retry_after=fault.retry_after)
        response = make_response(page, 503)
    response.headers["Retry-After"] = str(fault.retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def register_fault_handlers(app: Flask) -> None:
    """One log line per failed request, naming the cause, through logging (gunicorn's error log)."""

    @app.errorhandler(DatabaseUnavailable)
    def database_unavailable(fault: DatabaseUnavailable):
        log.error("database %s on %s %s: %s", fault.cause, request.method, request.path, fault.message)
        return unavailable(fault)

    @app.errorhandler(DBAPIError)
    def driver_error(exc: DBAPIError):
        fault = database_fault(exc)
        if fault is None:
            log.exception("unhandled database error on %s %s", request.method, request.path)
            return _render(500, "Internal Server Error", "Something went wrong; the error was logged.")
        log.error("database %s on %s %s: %s", fault.cause, request.method, request.path, exc.orig)
        return unavailable(fault)
