"""The OpenAPI 3.1 document, built from the code's own declarations (workflow, intake fields, forces)."""

from __future__ import annotations

from flask import jsonify

from casework.cases.decisions import KINDS
from casework.cases.listing import MAX_PER_PAGE
from casework.cases.queries import HISTORY_PAGE
from casework.intake.flags import MAX_TEXT
from web.api import bp, openapi_evidence
from web.api.openapi_finding import finding_paths
from web.api.schemas import NOT_BLANK, SPACE, input_schema
from web.extensions import casework
from workflows.a017 import PLATFORMS
from workflows.spec import Workflow

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_NTIME = {"type": ["string", "null"], "format": "date-time"}
_TIME = {"type": "string", "format": "date-time"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _problems(*codes: int) -> dict:
    return {str(code): {"$ref": f"#/components/responses/{code}"} for code in codes}


_PROBLEM_TEXT = {
    400: "Malformed JSON or request",
    401: "Missing, unknown or revoked bearer token",
    403: "Not allowed: role, force or separation of duties",
    404: "No such case or path",
    405: "Method not allowed",
    409: "The case changed since the caller loaded it (`current_version`)",
    413: "Body too large",
    415: "Body is not application/json",
    422: "Invalid input or a refused transition (`errors` by field)",
    503: "The webhook's secret is not configured",
}


def _problem_schema() -> dict:
    return {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": _STR,
            "title": _STR,
            "status": {"type": "integer"},
            "detail": _STR,
            "errors": {"type": "object", "additionalProperties": _STR},
            "allowed": {"type": "array", "items": _STR},
            "current_version": {"type": "integer"},
            "state": _STR,
        },
    }


def _flag_request(forces: list[str]) -> dict:
    def text(limit: int) -> dict:
        return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": NOT_BLANK}

    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["force", "platform", "channel", "external_id", "permalink", "text", "reason"],
        "properties": {
            "force": {"type": "string", "enum": forces},
            "platform": {"type": "string", "enum": list(PLATFORMS)},
            "channel": text(200),
            "external_id": {"type": "string", "pattern": f"^[^{SPACE}]{{1,200}}$", "maxLength": 200},
            "permalink": {"type": "string", "format": "uri", "pattern": r"^https?://[^\s/]+[^\s]*$", "maxLength": 2048},
            "text": text(MAX_TEXT),
            "reason": text(2000),
            "author_handle": text(200),
            "author_name": text(200),
            "author_id": text(200),
            "posted_at": {"type": "string", "format": "date-time"},
        },
    }


def _case_schema() -> dict:
    links = {"type": "object", "properties": {"self": _STR, "history": _STR, "transitions": _STR}}
    properties = {
        "reference": _STR,
        "force": _STR,
        "platform": _STR,
        "channel": _STR,
        "external_id": _STR,
        "permalink": _STR,
        "state": _STR,
        "version": {"type": "integer"},
        "assignee": _NSTR,
        "detected_at": _TIME,
        "detected_by": _STR,
        "flag_reason": _STR,
        "posted_at": _NTIME,
        "threat_to_life": {"type": "boolean"},
        "outcome": _NSTR,
        "closed_at": _NTIME,
        "updated_at": _TIME,
        "links": links,
    }
    return {"type": "object", "required": ["reference", "state", "version", "force"], "properties": properties}


def _transition_request(workflow: Workflow) -> dict:
    """One variant per trigger: its inputs' schema comes from the declaration."""
    variants = [
        {
            "type": "object",
            "title": t.trigger,
            "additionalProperties": False,
            "required": ["trigger", "version"],
            "properties": {
                "trigger": {"const": t.trigger},
                "inputs": input_schema(t),
                "version": {"type": "integer", "minimum": 1},
            },
        }
        for t in workflow.transitions
    ]
    return {"oneOf": variants}


def _schemas(cw) -> dict:
    brief = {"type": "object", "properties": {"reference": _STR, "state": _STR, "detected_at": _TIME}}
    trigger = {
        "type": "object",
        "properties": {
            "trigger": _STR,
            "label": _STR,
            "description": _STR,
            "from": _STR,
            "to": _STR,
            "roles": {"type": "array", "items": _STR},
            "inputs": {"type": "object"},
        },
    }
    evidence = {
        "type": ["object", "null"],
        "properties": {
            "text": _NSTR,
            "author_id": _NSTR,
            "author_handle": _NSTR,
            "author_name": _NSTR,
            "captured": {"type": "object"},
            "digest": _STR,
            "redacted_at": _NTIME,
        },
    }
    decision = {
        "type": "object",
        "description": "One step of the decisions thread: referral, question, answer, advice, closure...",
        "required": ["seq", "kind", "trigger", "at", "actor", "inputs"],
        "properties": {
            "seq": {"type": "integer"},
            "kind": {"type": "string", "enum": ["answer", *sorted(set(KINDS.values()))]},
            "trigger": _STR,
            "at": _TIME,
            "actor": _STR,
            "role": _NSTR,
            "inputs": {"type": "object"},
        },
    }
    detail = {
        "allOf": [
            _ref("Case"),
            {
                "type": "object",
                "properties": {
                    "evidence": evidence,
                    "evidence_digest": _STR,
                    "stage_inputs": {"type": "object"},
                    "open_question": _NSTR,
                    "decisions": {"type": "array", "items": decision},
                    "author_cases": {"type": "array", "items": brief},
                    "linked_cases": {"type": "array", "items": brief},
                    "available_triggers": {"type": "array", "items": trigger},
                },
            },
        ]
    }
    page = {
        "type": "object",
        "required": ["items", "per_page", "next", "links"],
        "properties": {
            "items": {"type": "array", "items": _ref("Case")},
            "per_page": {"type": "integer"},
            "next": {**_NSTR, "description": "the `after` of the next page; null on the last page"},
            "links": {"type": "object", "required": ["self"], "properties": {"self": _STR, "next": _STR}},
        },
    }
    event = {
        "type": "object",
        "properties": {
            "seq": {"type": "integer"},
            "at": _TIME,
            "actor": _STR,
            "role": _NSTR,
            "action": _STR,
            "from_state": _NSTR,
            "to_state": _NSTR,
            "data": {"type": "object"},
            "hash": _STR,
        },
    }
    result = {
        "type": "object",
        "required": ["reference", "state", "version"],
        "properties": {
            "reference": _STR,
            "trigger": _STR,
            "from_state": _STR,
            "state": _STR,
            "version": {"type": "integer"},
            "case": _ref("Case"),
        },
    }
    verification = {
        "type": "object",
        "required": ["ok", "count"],
        "properties": {
            "ok": {"type": "boolean"},
            "count": {"type": "integer"},
            "head_hash": _STR,
            "first_bad_seq": {"type": ["integer", "null"]},
            "first_bad_id": {"type": ["integer", "null"]},
            "problem": _NSTR,
            "message": _STR,
        },
    }
    tally = {"type": "object", "properties": {"received": {"type": "object"}}}
    return {
        "Problem": _problem_schema(),
        "FlagRequest": _flag_request(sorted(cw.settings.forces)),
        "Case": _case_schema(),
        "CaseDetail": detail,
        "CasePage": page,
        "Event": event,
        "History": {
            "type": "object",
            "required": ["reference", "events", "more", "links"],
            "properties": {
                "reference": _STR,
                "events": {"type": "array", "items": _ref("Event")},
                "more": {"type": "boolean", "description": "the case has events after this page: follow links.next"},
                "links": {"type": "object", "required": ["self"], "properties": {"self": _STR, "next": _STR}},
            },
        },
        "TransitionRequest": _transition_request(cw.workflow),
        "TransitionResult": result,
        "AuditVerification": verification,
        "IntakeTally": tally,
    }


def _paths(cw) -> dict:
    ref = {"name": "reference", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 40}}
    query = [
        {
            "name": "state",
            "in": "query",
            "schema": {"type": "array", "items": {"type": "string", "enum": [s.name for s in cw.workflow.states]}},
            "style": "form",
            "explode": True,
        },
        {"name": "force", "in": "query", "schema": {"type": "array", "items": _STR}, "style": "form", "explode": True},
        {"name": "assignee", "in": "query", "description": "a username, `me` or `none`", "schema": _STR},
        {
            "name": "after",
            "in": "query",
            "description": "the cursor a page gives as `next`: the page after it (oldest detected first)",
            "schema": {"type": "string", "maxLength": 400},
        },
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}},
    ]
    history = [
        {
            "name": "after",
            "in": "query",
            "description": "the seq of the last event shown: the page after it (links.next)",
            "schema": {"type": "integer", "minimum": 0},
        },
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": HISTORY_PAGE}},
    ]
    location = {"Location": {"description": "the new case", "schema": _STR}}
    paths = {
        "/api/v1/flags": {
            "post": {
                "summary": "Flag a comment (idempotent on force, platform and external id)",
                "operationId": "flag",
                "requestBody": _body("FlagRequest"),
                "responses": {
                    "201": _json(_ref("Case"), "A new case", location),
                    "200": _json(_ref("Case"), "The case that already had this comment"),
                    **_problems(400, 401, 403, 413, 415, 422),
                },
            }
        },
        "/api/v1/cases": {
            "get": {
                "summary": "List cases of the caller's forces, a keyset page at a time",
                "operationId": "listCases",
                "parameters": query,
                "responses": {"200": _json(_ref("CasePage"), "A page of cases"), **_problems(401, 422)},
            }
        },
        "/api/v1/cases/{reference}": {
            "get": {
                "summary": "A case, its evidence and the triggers available now",
                "operationId": "getCase",
                "parameters": [ref],
                "responses": {"200": _json(_ref("CaseDetail"), "The case"), **_problems(401, 403, 404)},
            }
        },
        "/api/v1/cases/{reference}/transitions": {
            "post": {
                "summary": "Fire a workflow trigger",
                "operationId": "transition",
                "parameters": [ref],
                "requestBody": _body("TransitionRequest"),
                "responses": {
                    "200": _json(_ref("TransitionResult"), "The new state and version"),
                    **_problems(400, 401, 403, 404, 409, 413, 415, 422),
                },
            }
        },
        "/api/v1/cases/{reference}/history": {
            "get": {
                "summary": "The case's events, oldest first, a page at a time",
                "operationId": "caseHistory",
                "parameters": [ref, *history],
                "responses": {"200": _json(_ref("History"), "A page of events"), **_problems(401, 403, 404, 422)},
            }
        },
        "/api/v1/audit/verify": {
            "get": {
                "summary": "Verify the audit hash chain (auditor, supervisor)",
                "operationId": "verifyAudit",
                "responses": {"200": _json(_ref("AuditVerification"), "The verification"), **_problems(401, 403)},
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "security": [],
                "responses": {"200": _json({"type": "object"}, "The OpenAPI document")},
            }
        },
    }
    paths.update(_webhook_paths())
    paths.update(finding_paths())
    return paths


def _webhook_paths() -> dict:
    raw = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
    accepted = _json(_ref("IntakeTally"), "Accepted: how many comments were flagged and how many only counted")
    signature = {
        "name": "X-Hub-Signature-256",
        "in": "header",
        "required": True,
        "description": "sha256=<HMAC-SHA256 of the raw body with the app secret>",
        "schema": _STR,
    }
    shared = {
        "name": "X-Casework-Token",
        "in": "header",
        "required": True,
        "schema": _STR,
        "description": "the shared secret CASEWORK_WEBHOOK_TOKEN",
    }
    signed = {
        "security": [],
        "requestBody": raw,
        "parameters": [signature],
        "responses": {"200": accepted, **_problems(400, 401, 403, 413, 415, 422, 503)},
    }
    secret = {
        "security": [],
        "requestBody": raw,
        "parameters": [shared],
        "responses": {"200": accepted, **_problems(400, 401, 403, 413, 415, 422, 503)},
    }
    verify = {
        "security": [],
        "summary": "Subscription check: echoes hub.challenge",
        "parameters": [
            {"name": n, "in": "query", "required": True, "schema": _STR}
            for n in ("hub.mode", "hub.verify_token", "hub.challenge")
        ],
        "responses": {
            "200": {"description": "The challenge", "content": {"text/plain": {"schema": _STR}}},
            **_problems(403),
        },
    }
    return {
        "/api/v1/webhooks/facebook": {
            "get": {**verify, "operationId": "facebookVerify"},
            "post": {**signed, "summary": "Facebook Page feed events", "operationId": "facebookWebhook"},
        },
        "/api/v1/webhooks/instagram": {
            "post": {**signed, "summary": "Instagram comment events", "operationId": "instagramWebhook"}
        },
        "/api/v1/webhooks/x": {"post": {**secret, "summary": "X API v2 posts", "operationId": "xWebhook"}},
        "/api/v1/webhooks/youtube": {
            "post": {**secret, "summary": "YouTube commentThread resources", "operationId": "youtubeWebhook"}
        },
    }


def document() -> dict:
    cw = casework()
    responses = {
        str(code): {"description": text, "content": {"application/problem+json": {"schema": _ref("Problem")}}}
        for code, text in _PROBLEM_TEXT.items()
    }
    responses["401"]["headers"] = {"WWW-Authenticate": {"schema": _STR}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "casework API",
            "version": "1",
            "description": "Flagged comments on police social-media channels, worked as cases (policy A017). "
            "Errors are application/problem+json (RFC 9457).",
        },
        "paths": {**_paths(cw), **openapi_evidence.paths()},
        "components": {
            "schemas": _schemas(cw),
            "responses": responses,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API."""
    return jsonify(document())
