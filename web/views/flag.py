"""Flagging a comment by hand: a channel admin pastes it and its link."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for

from casework.clock import LONDON
from casework.errors import ValidationError
from casework.intake.flags import flag_comment
from web.authz import current_actor, requires_roles
from web.extensions import casework
from workflows.a017 import PLATFORMS

bp = Blueprint("flag", __name__)

FIELDS = (
    "force",
    "platform",
    "channel",
    "external_id",
    "permalink",
    "text",
    "reason",
    "author_handle",
    "author_name",
    "author_id",
    "posted_at",
)


def _posted_at(value: str) -> str:
    """The form's local date-time is a time in Europe/London; the service wants an offset."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=LONDON).isoformat() if value else value
    except ValueError:
        return value  # the service names the problem


@bp.route("/flag", methods=["GET", "POST"])
@requires_roles("channel_admin")
def index():
    values, errors = request.form, {}
    if request.method == "POST":
        payload = {k: values.get(k, "") for k in FIELDS if values.get(k, "") != ""}
        if "posted_at" in payload:
            payload["posted_at"] = _posted_at(payload["posted_at"])
        try:
            result = flag_comment(casework(), current_actor(), payload)
        except ValidationError as exc:
            errors = exc.errors
        else:
            ref = result.case.reference
            flash(
                f"Case {ref} opened."
                if result.created
                else f"This comment was already flagged: your flag was added to the existing case {ref}.",
                "info" if result.created else "warning",
            )
            return redirect(url_for("cases.show", ref=ref))
    forces = {code: f for code, f in casework().settings.forces.items() if current_actor().in_force(code)}
    return render_template(
        "flag.html", values=values, errors=errors, forces=forces, platforms=PLATFORMS
    ), 422 if errors else 200
