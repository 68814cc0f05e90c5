"""Auditor pages: a case as at any moment, printable history, disclosure logs, exports, chain integrity."""

from __future__ import annotations

import json
from datetime import date, datetime

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.audit import checkpoints, disclosure, exports, retention, timetravel
from casework.audit import checks as chain_checks
from casework.cases import queries
from casework.cases.consultation import VIEWED
from casework.clock import LONDON, UTC, london
from casework.errors import ValidationError
from web.authz import requires_roles
from web.extensions import casework
from web.marking import for_force

bp = Blueprint("auditing", __name__, url_prefix="/audit")
CASE_PAGE_LOG = 50  # the newest views and exports on the case page; /audit/disclosures?case= has the rest


def _moment(value: str | None) -> datetime:
    """A datetime-local value read as Europe/London; none means now."""
    if not value:
        return casework().now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError({"as_at": "a date and time, e.g. 2026-11-25T09:30"}) from None
    return (moment.replace(tzinfo=LONDON) if moment.tzinfo is None else moment).astimezone(UTC)


@bp.get("/cases/<reference>")
@requires_roles("auditor", "supervisor")
def case(reference: str):
    cw, actor = casework(), current_user.actor
    errors, status = {}, 200
    try:
        as_at = _moment(request.args.get("as_at"))
    except ValidationError as exc:  # shown beside the field, with the case as it is now
        errors, status, as_at = exc.errors, 422, cw.now()
    past = timetravel.case_as_at(cw, actor, reference, as_at)
    detail = queries.get_case(cw, actor, reference)
    for_force(detail.case.force)
    disclosure.log_view(cw, actor, detail.case, "web")
    held = retention.status(cw, detail.case.id)
    logged = disclosure.for_case(cw, actor, reference, CASE_PAGE_LOG) if current_user.has_role("auditor") else None
    return render_template(
        "auditing/case.html",
        past=past,
        detail=detail,
        held=held,
        logged=logged,
        log_limit=CASE_PAGE_LOG,
        comment=retention.shown_comment(detail.comment, held),
        as_at_value=request.args.get("as_at", "") if errors else london(as_at).strftime("%Y-%m-%dT%H:%M:%S"),
        errors=errors,
    ), status


@bp.get("/cases/<reference>/print")
@requires_roles("auditor")
def printable(reference: str):
    cw, actor = casework(), current_user.actor
    detail = queries.get_case(cw, actor, reference, with_events=True)
    for_force(detail.case.force)
    views = queries.action_counts(cw, detail.case.id).get(VIEWED, 0)  # listed by the disclosure log, not here
    disclosure.log_view(cw, actor, detail.case, "web")
    comment = retention.shown_comment(detail.comment, retention.status(cw, detail.case.id))
    return render_template(
        "auditing/print.html", detail=detail, events=detail.events, views=views, comment=comment, now=cw.now()
    )


@bp.post("/cases/<reference>/legal-hold")
@requires_roles("supervisor")
def legal_hold(reference: str):
    hold = request.form.get("hold") == "on"
    retention.set_legal_hold(casework(), current_user.actor, reference, hold, request.form.get("reason", ""))
    flash(f"Legal hold {'set on' if hold else 'lifted from'} {reference}.", "info")
    return redirect(url_for("auditing.case", reference=reference))


@bp.get("/disclosures")
@requires_roles("auditor")
def disclosures():
    cw, actor = casework(), current_user.actor
    reference, username = request.args.get("case", "").strip(), request.args.get("user", "").strip()
    if reference:
        found = disclosure.for_case(cw, actor, reference)
    elif username:
        found = disclosure.by_user(cw, actor, username)
    else:
        found = None
    return render_template("auditing/disclosures.html", found=found, reference=reference, username=username)


@bp.route("/exports", methods=["GET", "POST"])
@requires_roles("auditor")
def export():
    form = request.form if request.method == "POST" else request.args
    if request.method == "GET":
        return render_template("auditing/exports.html", form=form, errors={})
    try:
        made = _export(form)
    except ValidationError as exc:
        return render_template("auditing/exports.html", form=form, errors=exc.errors), 422
    return Response(
        made.chunks(),
        content_type=made.media_type,  # it names its charset: `mimetype=` would add a second one
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )


def _export(form) -> exports.Export:
    cw, actor = casework(), current_user.actor
    fmt, recipient, purpose = form.get("format", ""), form.get("recipient", ""), form.get("purpose", "")
    if form.get("scope") == "case":
        return exports.export_case(cw, actor, form.get("reference", "").strip(), fmt, recipient, purpose)
    first, last = _day(form.get("from"), "from"), _day(form.get("to"), "to")
    return exports.export_period(cw, actor, form.get("force", ""), first, last, fmt, recipient, purpose)


def _day(value: str | None, name: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise ValidationError({name: "a date, e.g. 2026-11-25"}) from None


@bp.get("/integrity")
@requires_roles("auditor", "supervisor")
def integrity():
    """The latest recorded verification and checkpoint; the chain itself is walked only on request."""
    cw = casework()
    checks = chain_checks.recent(cw)
    latest = checkpoints.latest(cw)
    holds = checkpoints.still_matches(cw, latest) if latest else None
    return render_template("auditing/integrity.html", checks=checks, latest=latest, holds=holds)


@bp.post("/integrity/checkpoint")
@requires_roles("auditor")
def take_checkpoint():
    """Sign the chain's head and download the file (kept outside the system); recorded as an event."""
    try:
        document = checkpoints.make_checkpoint(casework(), checkpoints.checkpoint_key(), current_user.actor.username)
    except ValidationError:
        flash("Checkpoints need the signing key CASEWORK_CHECKPOINT_KEY on the server; nothing was signed.", "error")
        return redirect(url_for("auditing.integrity"))
    name = f"checkpoint-{document['seq']}.json"
    return Response(
        json.dumps(document, indent=2) + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/integrity/verify")
@requires_roles("auditor", "supervisor")
def verify_chain():
    result = chain_checks.verify_and_record(casework(), current_user.actor, "web")
    flash(("Verified: " if result.ok else "BROKEN: ") + result.describe() + ".", "info" if result.ok else "error")
    return redirect(url_for("auditing.integrity"))
