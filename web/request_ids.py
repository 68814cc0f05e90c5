"""A request id on every request: taken from X-Request-ID when it is sane, else made; logged and echoed."""

from __future__ import annotations

import re
import uuid

from flask import Flask, g, request

from casework.logs import request_id

_SANE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # a client's id goes into logs: no spaces, quotes or newlines


def register_request_ids(app: Flask) -> None:
    @app.before_request
    def take_id():
        offered = request.headers.get("X-Request-ID", "")
        g.casework_request_id = offered if _SANE.match(offered) else uuid.uuid4().hex
        g.casework_request_token = request_id.set(g.casework_request_id)

    @app.after_request
    def echo_id(response):
        if rid := g.get("casework_request_id"):
            response.headers["X-Request-ID"] = rid
        return response

    @app.teardown_request
    def forget_id(_exc):
        if token := g.pop("casework_request_token", None):
            request_id.reset(token)
