"""The workflow page: the state diagram and the table of transitions, drawn from the declaration."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template

from web.authz import STAFF, requires_roles
from web.diagram import layout
from web.extensions import casework
from web.transition_forms import condition_text

bp = Blueprint("workflow", __name__)


@bp.get("/workflow")
@requires_roles(*STAFF)
def index():
    workflow = casework().workflow
    return render_template(
        "workflow.html", workflow=workflow, diagram=layout(workflow), condition_text=condition_text, hours=_hours
    )


def _hours(duration: timedelta) -> str:
    return f"{duration.total_seconds() / 3600:g}"
