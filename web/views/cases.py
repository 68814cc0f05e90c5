"""One case: its evidence, outcome fields, the steps the user may take now, and its full timeline."""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from casework.audit import disclosure
from casework.cases import actions, decisions, queries
from casework.cases.options import assign_option, transition_options
from casework.cases.refusals import record_refused_request
from casework.errors import (
    CaseNotFound,
    CaseworkError,
    ConcurrentUpdate,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
)
from casework.evidence import attachments
from casework.notify import inbox as notify_inbox
from casework.sla.queries import case_clocks
from web.authz import STAFF, WORKERS, current_actor, requires_roles
from web.case_page import Feedback, timeline
from web.extensions import casework
from web.marking import for_force
from web.transition_forms import previous_inputs, read_inputs

bp = Blueprint("cases", __name__)


def _page(ref: str, status: int = 200, feedback: Feedback | None = None, detail: queries.CaseDetail | None = None):
    cw, actor = casework(), current_actor()
    detail = detail or queries.get_case(cw, actor, ref)
    for_force(detail.case.force)
    assert detail.case.id is not None  # a stored case
    events, filters = timeline(cw, detail.case.id, request.args.get("show"))
    options = transition_options(cw, actor, detail.case)
    return render_template(
        "case.html",
        d=detail,
        case=detail.case,
        events=events,
        timeline_filters=filters,
        options=options,
        primary=next((o.spec.trigger for o in options if o.refusal is None), None),
        prefill={o.spec.trigger: previous_inputs(o.spec, detail.case.stage_inputs) for o in options},
        decisions=decisions.case_thread(cw, detail.case.id),
        assign=assign_option(cw, actor, detail.case),
        clocks=case_clocks(cw, detail.case.id),
        feedback=feedback or Feedback(),
        can_write=bool(actor.roles & set(WORKERS)),
        linked_refs={c.reference for c in detail.linked},
        attachments=attachments.list_attachments(cw, actor, ref)[1],
        evidence_max_mb=cw.settings.evidence_max_bytes / 1024 / 1024,
    ), status


def _refuse(ref: str, attempted: str, error: CaseworkError, status: int) -> NoReturn:
    """Record a request refused before the service ran (SPEC §3: every refusal is history), then answer it."""
    record_refused_request(casework(), current_actor(), ref, attempted, error)
    abort(status, description=error.message)


def _version(ref: str, attempted: str) -> int:
    version = request.form.get("version", type=int)
    if version is None:
        message = "The form lacks the case version it was loaded with; reload the case and try again."
        _refuse(ref, attempted, ValidationError({"version": message}, message), 400)
    return version


def refused(ref: str, form: str, exc: Exception):
    """Back to the case's own address with what went wrong and what the user typed (post/redirect/get).

    Feedback too large for the session cookie is shown in answer to the post instead, with its status.
    """
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
    queries.get_case(casework(), current_actor(), ref)  # a case outside the user's forces is refused, not shown
    if feedback.keep(ref):
        anchors = {"comment": "#note-h", "link": "#author-h", "attachment": "#attachments"}
        anchor = "#act" if form.startswith("transition:") else anchors.get(form, "")
        return redirect(url_for("cases.show", ref=ref) + anchor, code=303)
    return _page(ref, exc.http_status, feedback)


@bp.get("/cases/<ref>")
@requires_roles(*STAFF)
def show(ref: str):
    cw, actor = casework(), current_actor()
    detail = queries.get_case(cw, actor, ref)
    disclosure.log_view(cw, actor, detail.case, "web")  # DPA 2018 s.62 consultation log
    assert detail.case.id is not None  # a stored case
    notify_inbox.mark_case_read(cw, actor, detail.case.id)  # before the header counts what is unread
    return _page(ref, detail=detail, feedback=Feedback.taken(ref))


@bp.post("/cases/<ref>/transitions/<trigger>")
@requires_roles(*WORKERS)
def transition(ref: str, trigger: str):
    cw = casework()
    spec = cw.workflow.transition(trigger)
    if spec is None:
        _refuse(ref, trigger, NotFound(f"the workflow has no step {trigger[:60]!r}"), 404)
    version = _version(ref, trigger)
    try:
        outcome = actions.apply_trigger(
            cw, current_actor(), ref, trigger, read_inputs(spec, request.form), expected_version=version
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
        case = actions.assign(
            casework(), current_actor(), ref, assignee or None, expected_version=_version(ref, "assign")
        )
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
