"""One case: its evidence, outcome fields, the steps the user may take now, and its full timeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from casework.audit import disclosure
from casework.cases import actions, queries
from casework.cases.options import assign_option, transition_options
from casework.errors import CaseNotFound, ConcurrentUpdate, PermissionDenied, TransitionNotAllowed, ValidationError
from casework.evidence import attachments
from casework.sla.queries import case_clocks
from web.authz import STAFF, WORKERS, current_actor, requires_roles
from web.extensions import casework
from web.transition_forms import read_inputs

bp = Blueprint("cases", __name__)


@dataclass
class Feedback:
    """What to show again after a refused post: the form it came from, its values and what went wrong."""

    form: str = ""  # "transition:<trigger>", "assign", "comment" or "link"
    values: MultiDict = field(default_factory=MultiDict)
    errors: dict = field(default_factory=dict)
    alert: str = ""
    conflict: bool = False


def _page(ref: str, status: int = 200, feedback: Feedback | None = None, detail: queries.CaseDetail | None = None):
    cw, actor = casework(), current_actor()
    detail = detail or queries.get_case(cw, actor, ref, with_events=True)
    return render_template(
        "case.html",
        d=detail,
        case=detail.case,
        events=detail.events,
        options=transition_options(cw, actor, detail.case),
        assign=assign_option(cw, actor, detail.case),
        clocks=case_clocks(cw, detail.case.id),
        feedback=feedback or Feedback(),
        can_write=bool(actor.roles & set(WORKERS)),
        linked_refs={c.reference for c in detail.linked},
        attachments=attachments.list_attachments(cw, actor, ref)[1],
        evidence_max_mb=cw.settings.evidence_max_bytes / 1024 / 1024,
    ), status


def _version() -> int:
    version = request.form.get("version", type=int)
    if version is None:
        abort(400, description="The form lacks the case version it was loaded with; reload the case and try again.")
    return version


def refused(ref: str, form: str, exc: Exception):
    """Show the case again with what went wrong, keeping what the user typed."""
    feedback = Feedback(form, request.form)
    if isinstance(exc, ValidationError):
        feedback.errors = exc.errors
        feedback.alert = "Some fields need attention; nothing was changed."
    elif isinstance(exc, ConcurrentUpdate):
        feedback.conflict = True
        feedback.alert = (
            "Someone else changed this case since you opened it, so nothing was changed. "
            "The page now shows the case as it is; check it, then try again."
        )
    else:
        feedback.alert = f"Refused: {exc.message}."
    return _page(ref, exc.http_status, feedback)


@bp.get("/cases/<ref>")
@requires_roles(*STAFF)
def show(ref: str):
    cw, actor = casework(), current_actor()
    detail = queries.get_case(cw, actor, ref, with_events=True)
    disclosure.log_view(cw, actor, detail.case, "web")  # DPA 2018 s.62 consultation log
    return _page(ref, detail=detail)


@bp.post("/cases/<ref>/transitions/<trigger>")
@requires_roles(*WORKERS)
def transition(ref: str, trigger: str):
    cw = casework()
    spec = cw.workflow.transition(trigger)
    if spec is None:
        abort(404, description=f"the workflow has no step {trigger!r}")
    try:
        outcome = actions.apply_trigger(
            cw, current_actor(), ref, trigger, read_inputs(spec, request.form), expected_version=_version()
        )
    except (ValidationError, ConcurrentUpdate, TransitionNotAllowed, PermissionDenied) as exc:
        return refused(ref, f"transition:{trigger}", exc)
    flash(f"{spec.label}: the case is now at “{cw.workflow.state(outcome.dest).label}”.", "info")
    return redirect(url_for(".show", ref=ref))


@bp.post("/cases/<ref>/assign")
@requires_roles(*WORKERS)
def assign(ref: str):
    assignee = request.form.get("assignee", "")
    try:
        case = actions.assign(casework(), current_actor(), ref, assignee or None, expected_version=_version())
    except (ValidationError, ConcurrentUpdate, TransitionNotAllowed, PermissionDenied) as exc:
        return refused(ref, "assign", exc)
    flash(f"Assigned to {assignee}." if case.assignee_id else "The case is now unassigned.", "info")
    return redirect(url_for(".show", ref=ref))


@bp.post("/cases/<ref>/comments")
@requires_roles(*WORKERS)
def comment(ref: str):
    try:
        actions.add_comment(casework(), current_actor(), ref, request.form.get("text", ""))
    except (ValidationError, PermissionDenied) as exc:
        return refused(ref, "comment", exc)
    flash("Note added to the timeline.", "info")
    return redirect(url_for(".show", ref=ref) + "#timeline")


@bp.post("/cases/<ref>/links")
@requires_roles(*WORKERS)
def link(ref: str):
    other = request.form.get("other", "")
    try:
        actions.link_cases(casework(), current_actor(), ref, other.strip())
    except CaseNotFound as exc:
        exc.http_status = 422  # the other case is missing, not this one
        return refused(ref, "link", exc)
    except (ValidationError, PermissionDenied) as exc:
        return refused(ref, "link", exc)
    flash(f"Linked with {other}.", "info")
    return redirect(url_for(".show", ref=ref))
