"""The dashboard: open work by state and force, its age, and how cases ended, as SVG charts."""

from __future__ import annotations

from flask import Blueprint, render_template

from casework.cases.consultation import log_list
from casework.cases.stats import compliance, dashboard
from web.authz import STAFF, current_actor, requires_roles
from web.charts import bar_chart
from web.extensions import casework
from web.labels import label

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@requires_roles(*STAFF)
def index():
    cw = casework()
    data = dashboard(cw, current_actor())
    # DPA 2018 s.62: the oldest open cases are shown with comment excerpts.
    shown = [(c.reference, c.force) for c in data.oldest_open]
    log_list(cw, current_actor(), scope="dashboard", via="web", shown=shown, detail={})
    names = [cw.settings.forces[f].name for f in data.forces]
    by_state = bar_chart(
        "Cases by state and force",
        [(s.label, [data.by_state_force.get((s.name, f), 0) for f in data.forces]) for s in cw.workflow.states],
        names,
    )
    ages = bar_chart("Open cases by time since detection", [(lbl, [n]) for lbl, n in data.open_ages])
    outcomes = bar_chart(
        "Closed cases by outcome", [(label(o), [n]) for o, n in sorted(data.outcomes.items(), key=lambda kv: -kv[1])]
    )
    return render_template(
        "dashboard.html",
        data=data,
        charts=[by_state, ages, outcomes],
        force_names=names,
        compliance=compliance(cw, data.forces, cw.now()),
    )
