"""`/search`: a reference opens its case at once; words list ranked matches with their snippets."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from casework.cases.search import search
from casework.errors import ValidationError
from web.authz import STAFF, current_actor, requires_roles
from web.extensions import casework

bp = Blueprint("search", __name__)


@bp.get("/search")
@requires_roles(*STAFF)
def index():
    query = request.args.get("q", "")
    if not query.strip():
        return render_template("search.html", query="", result=None, error=None)
    try:
        result = search(casework(), current_actor(), query, via="web")
    except ValidationError as exc:
        return render_template("search.html", query=query, result=None, error=exc.errors["q"]), 422
    if result.jump:
        return redirect(url_for("cases.show", ref=result.jump))
    return render_template("search.html", query=query, result=result, error=None)
