"""Logging for every process: plain or JSON lines (CASEWORK_LOG_FORMAT=json), each with its request id.

Under gunicorn the app's records go to gunicorn's own error log handlers, so a fault the app logs is
in the file operators read, not only on stderr.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str] = ContextVar("casework_request_id", default="-")
PLAIN = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request (or job) being served, "-" outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def formatter(env: Mapping[str, str] | None = None) -> logging.Formatter:
    env = os.environ if env is None else env
    if env.get("CASEWORK_LOG_FORMAT", "plain").strip().lower() == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level"})
    return logging.Formatter(PLAIN)


def configure_logging(env: Mapping[str, str] | None = None, level: int = logging.INFO) -> None:
    """Send casework's records to gunicorn's error log if it runs us, else to stderr; idempotent."""
    root = logging.getLogger()
    gunicorn = logging.getLogger("gunicorn.error")
    handlers = list(gunicorn.handlers) or [h for h in root.handlers if getattr(h, "casework", False)]
    if not handlers:
        stderr = logging.StreamHandler()
        stderr.casework = True  # type: ignore[attr-defined]
        handlers = [stderr]
    for handler in handlers:
        handler.setFormatter(formatter(env))
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if handler not in root.handlers:
            root.addHandler(handler)
    if gunicorn.handlers:
        gunicorn.propagate = False  # its handlers are the root's now: each record once
    root.setLevel(gunicorn.level if gunicorn.handlers and gunicorn.level else level)
