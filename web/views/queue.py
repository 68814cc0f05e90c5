"""The team queue: the cases waiting on the signed-in user's roles."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from casework.cases.bulk import MAX_CASES
from casework.cases.consultation import log_list
from casework.cases.queue import QueueFilter, queue_states, team_queue
from web.authz import STAFF, current_actor, requires_roles
from web.extensions import casework
from web.views.bulk import BULK_TRIGGERS

bp = Blueprint("queue", __name__)


@bp.get("/queue")
@requires_roles(*STAFF)
def index():
    args = request.args
    state = args.get("state", "")
    if state and state not in queue_states(casework(), current_actor()):  # not this team's work: the list of all
        return redirect(
            url_for("case_list.index", state=state, **({"force": args["force"]} if args.get("force") else {}))
        )
    flt = QueueFilter(
        state=args.get("state", ""),
        force=args.get("force", ""),
        assignee=args.get("assignee", ""),
        page=args.get("page", 1, type=int),
    )
    page = team_queue(casework(), current_actor(), flt)
    shown = [(r.reference, r.force) for r in page.rows]  # excerpts and authors: a consultation (DPA 2018 s.62)
    log_list(casework(), current_actor(), scope="queue", via="web", shown=shown, detail={})
    return render_template(
        "queue.html",
        page=page,
        flt=flt,
        forces=casework().settings.forces,
        bulk_triggers=BULK_TRIGGERS,
        bulk_cap=MAX_CASES,
    )
