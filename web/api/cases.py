"""Case endpoints: flag, list, read, act, history, and verifying the audit chain."""

from __future__ import annotations

from flask import jsonify, request, url_for
from werkzeug.exceptions import UnsupportedMediaType

from casework.access.users import get_user
from casework.audit import disclosure
from casework.audit import verify as audit
from casework.cases import actions, decisions, listing, queries
from casework.cases.consultation import log_list
from casework.cases.refusals import record_refused_request
from casework.errors import PermissionDenied, TransitionNotAllowed, UserNotFound, ValidationError
from casework.evidence import integrity
from casework.intake import flags as intake
from web.api import actor, bp, json_body, serialize
from web.api.schemas import trigger_description
from web.errors import problem
from web.extensions import casework

AUDIT_ROLES = frozenset({"auditor", "supervisor"})
TRANSITION_FIELDS = {"trigger", "inputs", "version"}


@bp.post("/flags")
def post_flag():
    """Flag a comment: 201 and a new case, or 200 and the case that already has it (idempotent)."""
    result = intake.flag_comment(casework(), actor(), json_body())
    body = _summary(result.case)
    if not result.created:
        return jsonify(body), 200
    return jsonify(body), 201, {"Location": url_for("api.get_case", reference=result.case.reference)}


@bp.get("/cases")
def list_cases():
    """Cases of the caller's forces, filtered, oldest detected first, a keyset page at a time (`after`)."""
    cw = casework()
    query = _case_query(cw)
    nobody = query.assignee not in ("", "none") and _unknown_user(query.assignee)  # like an unknown force
    cases, after = ([], None) if nobody else listing.read_cases(cw, actor(), query)
    log_list(cw, actor(), scope="cases", via="api", shown=[(c.reference, c.force) for c in cases], detail={})
    assignees = queries.users_by_id(cw, (c.assignee_id for c in cases))
    links = {"self": _list_link(request.args.get("after"))} | ({"next": _list_link(after)} if after else {})
    return jsonify(serialize.case_page(cases, assignees, query.per_page, after, links))


def _case_query(cw) -> listing.CaseQuery:
    """The API's filters (state, force, assignee: a username, `me` or `none`) as a /cases query."""
    args, errors = request.args, {}
    if "page" in args:
        errors["page"] = "pages continue after the last case shown: follow links.next (`after`)"
    states = tuple(args.getlist("state"))
    if bad := sorted(set(states) - {s.name for s in cw.workflow.states}):
        errors["state"] = f"unknown state {', '.join(bad)[:200]}"
    per_page = args.get("per_page", str(listing.PER_PAGE))
    if not per_page.isascii() or not per_page.isdigit() or not 1 <= int(per_page) <= listing.MAX_PER_PAGE:
        errors["per_page"] = f"a whole number from 1 to {listing.MAX_PER_PAGE}"
    after = args.get("after", "")
    if len(after) > 400 or "\x00" in after:
        errors["after"] = "not a page of this list; start again from the first page"
    if errors:
        raise ValidationError(errors)
    assignee = args.get("assignee", "")
    return listing.CaseQuery(
        state=states,
        force=tuple(args.getlist("force")),
        assignee="" if assignee == "me" else assignee,
        flags=frozenset({"mine"}) if assignee == "me" else frozenset(),
        sort="detected",
        after=after,
        per_page=int(per_page),
    )


def _unknown_user(username: str) -> bool:
    try:
        get_user(casework(), username)
    except UserNotFound:
        return True
    return False


def _list_link(after: str | None) -> str:
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "after"}
    return url_for("api.list_cases", **args, **({"after": after} if after else {}))


def _summary(case) -> dict:
    assignee = queries.users_by_id(casework(), [case.assignee_id]).get(case.assignee_id) if case.assignee_id else None
    return serialize.case_summary(case, assignee)


@bp.get("/cases/<reference>")
def get_case(reference: str):
    """One case with its evidence and the triggers the caller may use now, with their input schemas."""
    cw = casework()
    detail = queries.get_case(cw, actor(), reference)
    disclosure.log_view(cw, actor(), detail.case, "api")  # DPA 2018 s.62 consultation log
    ctx = actions.guard_context(cw, actor(), detail.case)
    triggers = [trigger_description(t, ctx) for t in actions.available_transitions(cw, actor(), detail.case)]
    assert detail.case.id is not None  # a stored case
    return jsonify(serialize.case_detail(detail, triggers, decisions.case_thread(cw, detail.case.id)))


@bp.post("/cases/<reference>/transitions")
def post_transition(reference: str):
    """Fire a trigger: `trigger`, `inputs`, and the `version` the caller saw (409 if it moved on)."""
    try:
        trigger, inputs, version = _transition_request()
    except UnsupportedMediaType as exc:
        refused = ValidationError({"body": str(exc.description)})
        record_refused_request(casework(), actor(), reference, "transition", refused)
        raise
    except ValidationError as exc:  # every refusal is history, a malformed request too (SPEC §3)
        record_refused_request(casework(), actor(), reference, _attempted(), exc)
        raise
    try:
        outcome = actions.apply_trigger(casework(), actor(), reference, trigger, inputs, version)
    except TransitionNotAllowed as exc:
        return problem(422, exc.title, exc.message, errors={"trigger": exc.message}, **exc.details)
    return jsonify(
        {
            "reference": outcome.case.reference,
            "trigger": outcome.trigger,
            "from_state": outcome.source,
            "state": outcome.dest,
            "version": outcome.case.version,
            "case": _summary(outcome.case),
        }
    )


def _transition_request() -> tuple[str, dict, int]:
    """The body's trigger, inputs and version, or a ValidationError naming every bad field."""
    body = json_body()
    errors = dict.fromkeys(sorted(set(body) - TRANSITION_FIELDS), "unknown field; send trigger, inputs and version")
    trigger, inputs, version = body.get("trigger"), body.get("inputs", {}), body.get("version")
    if not isinstance(trigger, str) or not trigger:
        errors["trigger"] = "required: the trigger's name"
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        errors["inputs"] = "must be an object of input names to values"
    if isinstance(version, float) and version.is_integer():  # JSON has numbers, not ints: 3.0 is 3
        version = int(version)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        errors["version"] = "required: the case's version as you loaded it (a whole number from 1)"
    if errors:
        raise ValidationError(errors)
    return trigger, inputs, version


def _attempted() -> str:
    """The trigger a refused body named, if it named one as text; else just "transition"."""
    body = request.get_json(silent=True)
    trigger = body.get("trigger") if isinstance(body, dict) else None
    return trigger if isinstance(trigger, str) and trigger else "transition"


@bp.get("/cases/<reference>/history")
def case_history(reference: str):
    """The case's events, oldest first, a page at a time: `after` the last seq shown (follow links.next)."""
    after, limit = _history_page()
    history = queries.history(casework(), actor(), reference, after=after, limit=limit)
    disclosure.log_view(casework(), actor(), history.case, "api")
    args = {k: v for k, v in request.args.items() if k != "after"}
    links = {"self": url_for("api.case_history", reference=reference, **request.args)}
    if history.more:
        links["next"] = url_for("api.case_history", reference=reference, **args, after=history.events[-1].seq)
    events = [serialize.event(e) for e in history.events]
    return jsonify({"reference": reference, "events": events, "more": history.more, "links": links})


def _history_page() -> tuple[int, int]:
    """(after, limit) of a history page: a seq of the chain (0, the default: from the first event), 1 to a page."""
    args, errors = request.args, {}
    if unknown := sorted(set(args) - {"after", "limit"}):
        errors["query"] = f"unknown parameter {', '.join(unknown)[:200]}: a history page takes after and limit"
    after, limit = args.get("after", "0"), args.get("limit", str(queries.HISTORY_PAGE))
    if not (after.isascii() and after.isdigit() and len(after) <= 18):
        errors["after"] = "the seq of the last event shown (a whole number from 0): follow links.next"
    if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= queries.HISTORY_PAGE):
        errors["limit"] = f"a whole number from 1 to {queries.HISTORY_PAGE}"
    if errors:
        raise ValidationError(errors)
    return int(after), int(limit)


@bp.get("/audit/verify")
def verify_audit():
    """Check the whole hash chain (auditors and supervisors)."""
    if not actor().roles & AUDIT_ROLES:
        raise PermissionDenied("verifying the audit chain needs the role auditor or supervisor")
    with casework().reader() as uow:
        result = audit.verify(uow.session, workflow=casework().workflow)
        blobs = integrity.verify_blobs(uow.session)
    return jsonify(
        {
            "ok": result.ok and blobs.ok,
            "chain_ok": result.ok,
            "attachments": {"ok": blobs.ok, "stored": blobs.blobs, "problems": blobs.problems},
            "count": result.count,
            "head_hash": result.head_hash,
            "first_bad_seq": result.first_bad_seq,
            "first_bad_id": result.first_bad_id,
            "problem": result.problem,
            "case_reference": result.case_reference,
            "message": result.describe(),
        }
    )
