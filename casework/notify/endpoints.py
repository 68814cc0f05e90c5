"""The teams' webhook endpoints: added, listed, switched off and on, each an audit event."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlmodel import col

from casework.errors import NotFound, ValidationError
from casework.notify.tables import WebhookEndpoint
from casework.runtime import Casework
from workflows.a017 import ROLES

TEAMS = tuple(r for r in ROLES if r not in {"system", "auditor"})


def add_webhook(cw: Casework, force: str, team: str, url: str, secret: str | None = None) -> WebhookEndpoint:
    """Register a team's endpoint; the secret signs every body (generated when not given)."""
    errors: dict[str, str] = {}
    if force not in cw.settings.forces:
        errors["force"] = f"choose from {', '.join(cw.settings.forces)}"
    if team not in TEAMS:
        errors["team"] = f"choose from {', '.join(TEAMS)}"
    parts = urlsplit(url or "")
    if parts.scheme not in {"http", "https"} or not parts.hostname or len(url) > 2048:
        errors["url"] = "an http(s) URL with a host"
    secret = secret or secrets.token_urlsafe(32)
    if not 16 <= len(secret) <= 200:
        errors["secret"] = "16-200 characters"
    if errors:
        raise ValidationError(errors)
    with cw.uow() as uow:
        endpoint = WebhookEndpoint(force=force, team=team, url=url, secret=secret, created_at=cw.now())
        uow.session.add(endpoint)
        uow.session.flush()
        uow.record(
            "webhook_added",
            at=cw.now(),
            actor="system:cli",
            role="system",
            data={"endpoint": endpoint.id, "force": force, "team": team, "host": parts.hostname},
        )
        uow.commit()
        return endpoint


def list_webhooks(cw: Casework) -> list[WebhookEndpoint]:
    with cw.reader() as uow:
        return list(uow.session.execute(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))).scalars())


def set_webhook_active(cw: Casework, endpoint_id: int, active: bool, *, by: str = "system:cli") -> bool:
    """Switch an endpoint on or off (off: no new rows, queued ones become dead letters); False if unchanged."""
    with cw.uow() as uow:
        endpoint = uow.session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
        if endpoint is None:
            raise NotFound(f"no webhook endpoint {endpoint_id}")
        if endpoint.active == active:
            return False
        endpoint.active = active
        uow.record(
            "webhook_enabled" if active else "webhook_disabled",
            at=cw.now(),
            actor=by,
            role="system",
            data={
                "endpoint": endpoint.id,
                "force": endpoint.force,
                "team": endpoint.team,
                "host": urlsplit(endpoint.url).hostname,
            },
        )
        uow.commit()
        return True
