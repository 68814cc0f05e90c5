"""`/cases`: every case the user may see, filtered and sorted, with saved views and a CSV of the view."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import Blueprint, Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from casework.audit.list_export import export_list
from casework.cases import listing, saved_views
from casework.cases.bulk import MAX_CASES
from casework.errors import NotFound, ValidationError
from web.authz import STAFF, current_actor, requires_roles
from web.extensions import casework
from web.views.bulk import BULK_TRIGGERS

bp = Blueprint("case_list", __name__)
log = logging.getLogger(__name__)


@bp.app_context_processor
def navigation_views():
    """`saved_views()` for the header: read only by pages that draw it; an error page must still render."""

    def views():
        if not current_user.is_authenticated:
            return []
        try:
            return saved_views.views_for(casework(), current_user.actor)
        except SQLAlchemyError:
            log.exception("could not read saved views")
            return []

    return {"saved_views": views}


def _query():
    return listing.parse_query(casework(), request.args.to_dict(flat=False))


@bp.get("/cases")
@requires_roles(*STAFF)
def index():
    cw, actor = casework(), current_actor()
    try:
        query = _query()
    except ValidationError as exc:
        return render_template("case_list.html", page=None, errors=exc.errors, q=None, **_choices()), 422
    page = listing.list_cases(cw, actor, query, via="web")
    return render_template(
        "case_list.html",
        page=page,
        q=query,
        errors={},
        view_query=urlencode(query.args(after="")),
        next_url=url_for(".index") + "?" + urlencode(query.args(after=page.next_after)) if page.next_after else None,
        bulk_triggers=BULK_TRIGGERS,
        bulk_cap=MAX_CASES,
        **_choices(),
    )


def _choices() -> dict:
    cw = casework()
    return {"states": [s.name for s in cw.workflow.states], "choices": listing.CHOICES, "sorts": listing.SORTS}


@bp.post("/cases/export")
@requires_roles(*STAFF)
def export():
    args = {
        k: v for k, v in request.form.to_dict(flat=False).items() if k not in ("recipient", "purpose", "csrf_token")
    }
    query = listing.parse_query(casework(), args)
    count, lines = export_list(
        casework(), current_actor(), query, request.form.get("recipient", ""), request.form.get("purpose", "")
    )
    headers = {"Content-Disposition": 'attachment; filename="cases.csv"', "X-Casework-Cases": str(count)}
    return Response(stream_with_context(lines), mimetype="text/csv", headers=headers)


@bp.post("/cases/views")
@requires_roles(*STAFF)
def save_view():
    form = request.form
    try:
        view = saved_views.save_view(
            casework(), current_actor(), form.get("name", ""), form.get("query", ""), form.get("shared_role") or None
        )
    except ValidationError as exc:
        flash("Not saved: " + "; ".join(exc.errors.values()), "error")
        return redirect(url_for(".index") + "?" + form.get("query", ""))
    flash(f"Saved the view “{view.name}”.", "info")
    return redirect(url_for(".index") + "?" + view.query)


@bp.post("/cases/views/<int:view_id>/delete")
@requires_roles(*STAFF)
def delete_view(view_id: int):
    try:
        saved_views.delete_view(casework(), current_actor(), view_id)
    except NotFound as exc:
        flash(exc.message, "error")
    else:
        flash("Saved view deleted.", "info")
    return redirect(url_for(".index"))
