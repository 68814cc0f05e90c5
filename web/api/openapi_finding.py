"""The OpenAPI paths of search and bulk transitions (web/api/finding.py)."""

from __future__ import annotations

from casework.cases.bulk import MAX_CASES
from casework.cases.search import MAX_QUERY

_STR = {"type": "string"}


def _problems(*codes: int) -> dict:
    return {str(code): {"$ref": f"#/components/responses/{code}"} for code in codes}


def _ok(schema: dict, description: str) -> dict:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


def finding_paths() -> dict:
    hit = {
        "type": "object",
        "properties": {
            "reference": _STR,
            "force": _STR,
            "state": _STR,
            "detected_at": _STR,
            "author_handle": {"type": ["string", "null"]},
            "exact_handle": {"type": "boolean"},
            "snippet": {
                "type": "array",
                "items": {"type": "object", "properties": {"text": _STR, "matched": {"type": "boolean"}}},
            },
        },
    }
    found = {
        "type": "object",
        "required": ["query", "jump", "hits", "more"],
        "properties": {
            "query": _STR,
            "jump": {"type": ["object", "null"], "properties": {"reference": _STR, "url": _STR}},
            "more": {"type": "boolean"},
            "hits": {"type": "array", "items": hit},
        },
    }
    target = {
        "type": "object",
        "required": ["reference", "version"],
        "properties": {"reference": {**_STR, "maxLength": 40}, "version": {"type": "integer", "minimum": 1}},
    }
    request = {
        "type": "object",
        "required": ["trigger", "cases"],
        "properties": {
            "trigger": {**_STR, "description": "a workflow trigger, or `assign` with inputs.assignee"},
            "inputs": {"type": "object"},
            "cases": {"type": "array", "items": target, "minItems": 1, "maxItems": MAX_CASES},
        },
    }
    outcome = {
        "type": "object",
        "properties": {
            "trigger": _STR,
            "done": {"type": "array", "items": _STR},
            "refused": {"type": "array", "items": {"type": "object"}},
            "conflicts": {"type": "array", "items": {"type": "object"}},
        },
    }
    return {
        "/api/v1/search": {
            "get": {
                "summary": "Find cases: a reference jumps to its case; words give ranked hits",
                "operationId": "search",
                "parameters": [
                    {"name": "q", "in": "query", "required": True, "schema": {**_STR, "maxLength": MAX_QUERY}}
                ],
                "responses": {**_ok(found, "The jump or the hits"), **_problems(401, 422)},
            }
        },
        "/api/v1/bulk/transitions": {
            "post": {
                "summary": f"One trigger on up to {MAX_CASES} cases, each its own action with its own version check",
                "operationId": "bulkTransitions",
                "requestBody": {"required": True, "content": {"application/json": {"schema": request}}},
                "responses": {
                    **_ok(outcome, "Per case: done, refused (why) or changed since loaded"),
                    **_problems(400, 401, 413, 415, 422),
                },
            }
        },
    }
