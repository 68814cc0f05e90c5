"""Flagging a comment by hand: a channel admin pastes it and its link."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for

from casework.clock import LONDON
from casework.errors import CaseworkError, ValidationError
from casework.evidence import attachments
from casework.intake.flags import FLAG_FIELDS, flag_comment
from web.authz import current_actor, requires_roles
from web.extensions import casework
from workflows.a017 import PLATFORMS

bp = Blueprint("flag", __name__)


def _posted_at(value: str) -> str:
    """The form's local date-time is a time in Europe/London; the service wants an offset."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=LONDON).isoformat() if value else value
    except ValueError:
        return value  # the service names the problem


@bp.route("/flag", methods=["GET", "POST"])
@requires_roles("channel_admin")
def index():
    cw = casework()
    values, errors, status = request.form, {}, 200
    if request.method == "POST":
        payload = {k: values.get(k, "") for k in FLAG_FIELDS if values.get(k, "") != ""}
        if "posted_at" in payload:
            payload["posted_at"] = _posted_at(payload["posted_at"])
        try:
            received = _checked_upload(cw)  # a bad file is refused before any case exists
        except CaseworkError as exc:
            errors, status = exc.details.get("errors") or {"file": exc.message}, exc.http_status
        else:
            try:
                return _flag(cw, payload, received)
            except ValidationError as exc:
                errors, status = exc.errors, 422
            finally:
                if received is not None:
                    received.close()
    forces = {code: f for code, f in cw.settings.forces.items() if current_actor().in_force(code)}
    return render_template("flag.html", values=values, errors=errors, forces=forces, platforms=PLATFORMS), status


def _checked_upload(cw):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None
    attachments.require_adder(current_actor())
    attachments.clean_description(request.form.get("file_description"))
    return attachments.receive_upload(cw, upload.stream, filename=upload.filename, declared_type=upload.mimetype)


def _flag(cw, payload: dict, received):
    result = flag_comment(cw, current_actor(), payload)
    ref = result.case.reference
    if received is not None:
        item = attachments.attach(
            cw,
            current_actor(),
            ref,
            received,
            filename=request.files["file"].filename,
            description=request.form.get("file_description", ""),
            via="web",
        )
        flash(f"Exhibit {item.exhibit} attached (SHA-256 {item.sha256}).", "info")
    flash(
        f"Case {ref} opened."
        if result.created
        else f"This comment was already flagged: your flag was added to the existing case {ref}.",
        "info" if result.created else "warning",
    )
    return redirect(url_for("cases.show", ref=ref))
