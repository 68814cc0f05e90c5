"""Search and bulk transitions over the API: the same services as /search and the bulk form."""

from __future__ import annotations

from flask import jsonify, request, url_for

from casework.cases.bulk import apply_to_many, check_targets
from casework.cases.search import search
from casework.errors import ValidationError
from web.api import actor, bp, json_body
from web.extensions import casework

BULK_FIELDS = {"trigger", "inputs", "cases"}


@bp.get("/search")
def search_cases():
    """`?q=`: a reference gives `jump`; words give ranked hits with snippets as (text, matched) pieces."""
    result = search(casework(), actor(), request.args.get("q", ""), via="api")
    return jsonify(
        {
            "query": result.query,
            "jump": {"reference": result.jump, "url": url_for("api.get_case", reference=result.jump)}
            if result.jump
            else None,
            "more": result.more,
            "hits": [
                {
                    "reference": h.reference,
                    "force": h.force,
                    "state": h.state,
                    "detected_at": h.detected_at.isoformat(),
                    "author_handle": h.author_handle,
                    "exact_handle": h.exact_handle,
                    "snippet": [{"text": text, "matched": matched} for text, matched in h.snippet],
                }
                for h in result.hits
            ],
        }
    )


@bp.post("/bulk/transitions")
def bulk_transitions():
    """`{"trigger", "inputs", "cases": [{"reference", "version"}]}`: each case its own action; 200 with each result."""
    body = json_body()
    errors = dict.fromkeys(sorted(set(body) - BULK_FIELDS), "unknown field; send trigger, inputs and cases")
    trigger, inputs, cases = body.get("trigger"), body.get("inputs") or {}, body.get("cases")
    if not isinstance(trigger, str) or not trigger:
        errors["trigger"] = "required: the trigger's name (or assign)"
    if not isinstance(inputs, dict):
        errors["inputs"] = "must be an object of input names to values"
    if not isinstance(cases, list):
        errors["cases"] = 'required: a list of {"reference", "version"}'
    if errors:
        raise ValidationError(errors)
    result = apply_to_many(casework(), actor(), trigger, inputs, check_targets(cases))
    return jsonify(
        {
            "trigger": trigger,
            "done": result.done,
            "refused": [{"reference": ref, "reason": why} for ref, why in result.refused],
            "conflicts": [{"reference": ref, "current_version": v} for ref, v in result.conflicts],
        }
    )
