"""The in-app inbox (`/inbox`) with the unread count in every page header, and supervisors' dead letters."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from casework.access import users
from casework.cases.queries import users_by_id
from casework.errors import ValidationError
from casework.notify import inbox as notify_inbox
from casework.notify import preferences as notify_preferences
from web.authz import STAFF, requires_roles
from web.extensions import casework

bp = Blueprint("inbox", __name__)
log = logging.getLogger(__name__)


@bp.app_context_processor
def unread():
    """`unread_count` for the page header; an error page must still render if the database is down."""
    if not current_user.is_authenticated:
        return {"unread_count": 0}
    try:
        return {"unread_count": notify_inbox.unread_count(casework(), current_user.actor)}
    except SQLAlchemyError:
        log.exception("could not count unread notifications")
        return {"unread_count": 0}


@bp.get("/inbox")
@requires_roles(*STAFF)
def index():
    items = notify_inbox.inbox(casework(), current_user.actor)
    return render_template("inbox.html", items=items)


@bp.post("/inbox/<int:notification_id>/read")
@requires_roles(*STAFF)
def mark_read(notification_id: int):
    notify_inbox.mark_read(casework(), current_user.actor, notification_id)
    return redirect(url_for("inbox.index"))


@bp.post("/inbox/read")
@requires_roles(*STAFF)
def mark_all_read():
    count = notify_inbox.mark_read(casework(), current_user.actor)
    flash(f"{count} notification{'s' if count != 1 else ''} marked read.", "info")
    return redirect(url_for("inbox.index"))


@bp.route("/inbox/preferences", methods=["GET", "POST"])
@requires_roles(*STAFF)
def preferences():
    """Each user chooses, for themselves only, how each kind of news reaches them."""
    cw, actor, errors = casework(), current_user.actor, {}
    prefs = notify_preferences.preferences(cw, actor)
    values = _form_values(prefs)
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in values}
        choices = {p.kind: {field: values[f"{p.kind}-{field}"] for field in FIELDS} for p in prefs}
        try:
            notify_preferences.save_preferences(cw, actor, choices)
        except ValidationError as exc:
            errors = exc.errors
        else:
            flash("Your notification preferences are saved.", "info")
            return redirect(url_for("inbox.preferences"))
    email = users.get_user(cw, actor.username).email  # none: no news reaches them by e-mail, breaches included
    page = render_template("inbox_preferences.html", prefs=prefs, values=values, errors=errors, email=email)
    return page, 422 if errors else 200


FIELDS = ("email", "inbox", "quiet_start", "quiet_end")


def _form_values(prefs) -> dict[str, str]:
    """The form's fields as the browser sends them: a ticked box is "on", a time is HH:MM."""
    values = {}
    for p in prefs:
        values[f"{p.kind}-email"] = "on" if p.email else ""
        values[f"{p.kind}-inbox"] = "on" if p.inbox else ""
        for field in ("quiet_start", "quiet_end"):
            at = getattr(p, field)
            values[f"{p.kind}-{field}"] = at.strftime("%H:%M") if at else ""
    return values


@bp.get("/inbox/failed")
@requires_roles("supervisor")
def failed():
    """Notifications that could not be delivered, for the supervisors of their forces."""
    rows = notify_inbox.dead_letters(casework(), current_user.actor)
    names = users_by_id(casework(), (n.recipient_id for n in rows))
    return render_template("dead_letters.html", rows=rows, names=names)


@bp.post("/inbox/failed/<int:notification_id>/retry")
@requires_roles("supervisor")
def retry(notification_id: int):
    notify_inbox.retry_as(casework(), current_user.actor, notification_id)
    flash(f"Notification {notification_id} will be sent again.", "info")
    return redirect(url_for("inbox.failed"))
