"""The team queue: the cases waiting on the signed-in user's roles."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from casework.audit import disclosure
from casework.cases.queue import QueueFilter, team_queue
from web.authz import STAFF, current_actor, requires_roles
from web.extensions import casework

bp = Blueprint("queue", __name__)


@bp.get("/queue")
@requires_roles(*STAFF)
def index():
    args = request.args
    flt = QueueFilter(
        state=args.get("state", ""),
        force=args.get("force", ""),
        assignee=args.get("assignee", ""),
        page=args.get("page", 1, type=int),
    )
    page = team_queue(casework(), current_actor(), flt)
    # DPA 2018 s.62: the queue shows authors and comment text, so the page is one consultation.
    disclosure.log_listing(casework(), current_actor(), [r.reference for r in page.rows], "web", "queue")
    return render_template("queue.html", page=page, flt=flt, forces=casework().settings.forces)
