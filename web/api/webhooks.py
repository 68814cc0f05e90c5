"""Platform webhooks: signed deliveries in, comments through the detector, nothing stored when refused."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os

import orjson
from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from casework.intake import ingest, platforms
from casework.intake.channels import Channels, configured_channels
from casework.intake.detector import configured_detector
from web.api import MalformedJSON
from web.errors import problem
from web.extensions import casework, csrf

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks")
csrf.exempt(bp)  # platforms sign their deliveries; they cannot carry a CSRF token


def _setting(name: str) -> str | None:
    """Secrets from the app config (tests) or the environment (deployments)."""
    return current_app.config.get(name) or os.environ.get(name) or None


def _channels() -> Channels:
    if "casework_channels" not in current_app.extensions:
        env = {"CASEWORK_CHANNELS_FILE": _setting("CASEWORK_CHANNELS_FILE") or ""}
        current_app.extensions["casework_channels"] = configured_channels(casework().settings.forces, env)
    return current_app.extensions["casework_channels"]


@bp.get("/facebook")
def facebook_subscribe():
    """The subscription check: echo `hub.challenge` when the verify token is ours."""
    expected = _setting("CASEWORK_FACEBOOK_VERIFY_TOKEN")
    given = request.args.get("hub.verify_token", "")
    if (
        expected
        and request.args.get("hub.mode") == "subscribe"
        and hmac.compare_digest(given.encode(), expected.encode())
    ):
        return request.args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain; charset=utf-8"}
    return problem(403, "Subscription refused", "hub.mode must be subscribe and hub.verify_token must match")


@bp.post("/facebook")
def facebook():
    return _signed("facebook", "CASEWORK_FACEBOOK_APP_SECRET")


@bp.post("/instagram")
def instagram():
    return _signed("instagram", "CASEWORK_INSTAGRAM_APP_SECRET", "CASEWORK_FACEBOOK_APP_SECRET")


@bp.post("/x")
def x():
    return _shared_secret("x")


@bp.post("/youtube")
def youtube():
    return _shared_secret("youtube")


def _signed(platform: str, *secret_names: str):
    """Meta's X-Hub-Signature-256: HMAC-SHA256 of the raw body with the app secret."""
    secret = next((s for s in map(_setting, secret_names) if s), None)
    if secret is None:
        return problem(503, "Webhook not configured", f"set {secret_names[0]} to receive {platform} events")
    header = request.headers.get("X-Hub-Signature-256", "")
    if not header:
        return _unauthorised(f"{platform} deliveries must carry X-Hub-Signature-256")
    raw = request.get_data(cache=True)
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header.strip().encode(), expected.encode()):
        return problem(403, "Bad signature", "X-Hub-Signature-256 does not match the body; nothing was stored")
    return _receive(platform, raw)


def _shared_secret(platform: str):
    secret = _setting("CASEWORK_WEBHOOK_TOKEN")
    if secret is None:
        return problem(503, "Webhook not configured", f"set CASEWORK_WEBHOOK_TOKEN to receive {platform} payloads")
    given = request.headers.get("X-Casework-Token", "")
    if not given:
        return _unauthorised("send the shared secret in X-Casework-Token")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return problem(403, "Wrong token", "X-Casework-Token is not the configured secret; nothing was stored")
    return _receive(platform, request.get_data(cache=True))


def _unauthorised(detail: str):
    return problem(401, "Signature required", detail)


def _receive(platform: str, raw: bytes):
    """Normalise, route and validate the whole payload first, then run it through the detector."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(f"send application/json (got {request.mimetype or 'no content type'})")
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedJSON(str(exc)) from None
    cw = casework()
    batch = ingest.route(platforms.normalise(platform, payload), _channels())
    ingest.check(cw, batch)
    tally = ingest.ingest(
        cw,
        batch,
        configured_detector({"CASEWORK_DETECTOR_RULES": _setting("CASEWORK_DETECTOR_RULES") or ""}),
        source=f"webhook:{platform}",
    )
    log.info("%s webhook: %s", platform, tally.as_dict())
    return jsonify({"platform": platform, "received": tally.as_dict()})
