"""The event log for auditors and supervisors, filtered by case, user, action and date."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request

from casework.audit.log import LogFilter, event_actions, search_events
from casework.errors import ValidationError
from web.authz import OVERSEERS, current_actor, requires_roles
from web.extensions import casework

bp = Blueprint("audit", __name__)


def _day(name: str, errors: dict) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "a date such as 2026-11-25"
        return None


def _before(errors: dict) -> int | None:
    value = request.args.get("before", "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        errors["before"] = "an event number"
        return None
    return int(value)


@bp.get("/audit")
@requires_roles(*OVERSEERS)
def index():
    args, errors = request.args, {}
    flt = LogFilter(
        reference=args.get("reference", ""),
        user=args.get("user", ""),
        action=args.get("action", ""),
        since=_day("since", errors),
        until=_day("until", errors),
        before=_before(errors),
    )
    page = None
    if not errors:
        try:
            page = search_events(casework(), current_actor(), flt)
        except ValidationError as exc:
            errors = exc.errors
    return render_template(
        "audit.html", page=page, flt=flt, errors=errors, args=args, actions=event_actions(casework())
    ), 422 if errors else 200
