"""The JSON API under /api/v1: bearer tokens per user, problem+json errors, the same services as the UI."""

from __future__ import annotations

import orjson
from flask import Blueprint, g, request
from werkzeug.exceptions import UnsupportedMediaType

from casework.access.actors import Actor
from casework.access.tokens import actor_for_token
from casework.errors import AuthenticationFailed, ValidationError
from web.errors import problem
from web.extensions import casework, csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, not cookies: no cross-site request can carry one
PUBLIC = {"api.openapi"}


@bp.before_request
def authenticate():
    """Every endpoint but the OpenAPI document needs `Authorization: Bearer <token>`."""
    if request.endpoint in PUBLIC or request.endpoint is None:
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise AuthenticationFailed("send an API token: Authorization: Bearer <token> (casework users token)")
        g.actor = actor_for_token(casework(), secret.strip())
    except AuthenticationFailed as exc:
        response = problem(401, exc.title, exc.message)
        error = ', error="invalid_token"' if scheme.lower() == "bearer" else ""
        response.headers["WWW-Authenticate"] = f'Bearer realm="casework"{error}'
        return response
    return None


def actor() -> Actor:
    return g.actor


def json_body() -> dict:
    """The request's JSON object: 415 if it is not JSON, 400 if malformed, 422 if not an object."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(f"send the body as application/json (got {request.mimetype or 'no content type'})")
    try:
        body = orjson.loads(request.get_data(cache=True))
    except orjson.JSONDecodeError as exc:
        raise MalformedJSON(str(exc)) from None
    if not isinstance(body, dict):
        raise ValidationError({"body": "expected a JSON object"})
    return body


class MalformedJSON(ValidationError):
    """The body is not JSON at all."""

    http_status = 400
    title = "Malformed JSON"

    def __init__(self, reason: str):
        super().__init__({"body": f"not valid JSON: {reason}"})


from web.api import attachments, cases, finding, openapi  # noqa: E402,F401  (routes register on bp)
