"""Errors mapped in one place: an HTML page for people, RFC 9457 problem+json under /api."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from casework.errors import CaseworkError

log = logging.getLogger(__name__)


def wants_problem_json() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, title: str, detail: str, **extra):
    """An `application/problem+json` response (RFC 9457)."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.content_type = "application/problem+json"
    return response


def _render(status: int, title: str, detail: str, **extra):
    if wants_problem_json():
        return problem(status, title, detail, **extra)
    labels = current_app.extensions["casework_labels"]
    page = render_template("error.html", status=status, title=title, detail=labels.relabel(detail), extra=extra)
    return page, status


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(CaseworkError)
    def domain_error(exc: CaseworkError):
        return _render(exc.http_status, exc.title, exc.message, **exc.details)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _render(400, "Form expired or invalid", f"{exc.description} Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        response = _render(exc.code or 500, exc.name, exc.description or exc.name)
        if wants_problem_json():  # keep what the client needs to recover, e.g. Allow on a 405
            response.headers.extend((k, v) for k, v in exc.get_headers() if k.lower() != "content-type")
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, "Internal Server Error", "Something went wrong; the error was logged.")
