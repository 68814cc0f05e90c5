"""Bulk actions from /queue and /cases: each chosen case is its own action; the page says how each went."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from casework.cases.bulk import ASSIGN, MAX_CASES, apply_to_many, check_targets
from casework.errors import ValidationError
from web.authz import WORKERS, current_actor, requires_roles
from web.extensions import casework
from web.transition_forms import read_inputs

bp = Blueprint("bulk", __name__)
BULK_TRIGGERS = (ASSIGN, "start_review", "dismiss", "moderate")


def _targets() -> list[dict]:
    """`case` values are REF:VERSION; with "all" ticked, every case of the page (`page_case`) is meant."""
    form = request.form
    chosen = form.getlist("page_case") if form.get("all") else form.getlist("case")
    out = []
    for value in chosen:
        ref, _, version = value.rpartition(":")
        out.append({"reference": ref, "version": int(version) if version.isdigit() else None})
    return out


def _back() -> str:
    back = request.form.get("back", "")
    return back if back.startswith("/") and not back.startswith("//") else "/cases"


@bp.post("/bulk")
@requires_roles(*WORKERS)
def run():
    cw, trigger = casework(), request.form.get("trigger", "")
    try:
        if trigger not in BULK_TRIGGERS:
            raise ValidationError({"trigger": f"choose one of {', '.join(BULK_TRIGGERS)}"})
        targets = check_targets(_targets(), MAX_CASES)
        spec = cw.workflow.transition(trigger)
        inputs = {"assignee": request.form.get("assignee", "")} if spec is None else read_inputs(spec, request.form)
        result = apply_to_many(cw, current_actor(), trigger, inputs, targets)
    except ValidationError as exc:
        return render_template("bulk_result.html", result=None, errors=exc.errors, back=_back(), trigger=trigger), 422
    return render_template("bulk_result.html", result=result, errors={}, back=_back(), trigger=trigger)
