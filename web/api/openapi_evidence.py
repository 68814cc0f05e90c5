"""The attachment endpoints in the OpenAPI document: multipart or raw uploads, lists and downloads."""

from __future__ import annotations

from casework.evidence.sniff import FILE_EXTENSIONS

_STR = {"type": "string"}
_PROBLEM = {"$ref": "#/components/schemas/Problem"}
REFUSALS = {
    400: "The upload was cut off or malformed; nothing was stored",
    401: "Missing, unknown or revoked bearer token",
    403: "Not allowed: role or force",
    404: "No such case or attachment",
    410: "The attachment's bytes were redacted; its digest is kept",
    413: "Larger than the attachment limit (CASEWORK_EVIDENCE_MAX_MB)",
    415: "Not PNG, JPEG, WebP, GIF, PDF or MP4 by its content",
    422: "The content contradicts its name or type, is a polyglot, or a field is invalid",
}
ATTACHMENT = {
    "type": "object",
    "required": ["id", "exhibit", "sha256", "size", "media_type"],
    "properties": {
        "id": {"type": "integer"},
        "exhibit": _STR,
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "size": {"type": "integer"},
        "media_type": _STR,
        "filename": _STR,
        "description": _STR,
        "producer": _STR,
        "producer_name": _STR,
        "added_at": {"type": "string", "format": "date-time"},
        "redacted_at": {"type": ["string", "null"], "format": "date-time"},
        "href": _STR,
    },
}


def _refusals(*codes: int) -> dict:
    return {
        str(c): {"description": REFUSALS[c], "content": {"application/problem+json": {"schema": _PROBLEM}}}
        for c in codes
    }


def paths() -> dict:
    ref = {"name": "reference", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 40}}
    item = {"name": "attachment_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
    named = [
        {"name": "filename", "in": "query", "schema": {"type": "string", "maxLength": 255}},
        {"name": "description", "in": "query", "schema": {"type": "string", "maxLength": 2000}},
    ]
    upload = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}, "description": _STR},
                }
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
    listing = {
        "type": "object",
        "properties": {"reference": _STR, "attachments": {"type": "array", "items": ATTACHMENT}},
    }
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "/api/v1/cases/{reference}/attachments": {
            "parameters": [ref],
            "post": {
                "summary": "Attach a file; its type is decided from its content (not its name or Content-Type)",
                "operationId": "addAttachment",
                "parameters": named,
                "requestBody": upload,
                "responses": {
                    "201": {
                        "description": "Stored, with its SHA-256 in the audit chain",
                        "headers": {"Location": {"schema": _STR}},
                        "content": {"application/json": {"schema": ATTACHMENT}},
                    },
                    **_refusals(400, 401, 403, 404, 413, 415, 422),
                },
            },
            "get": {
                "summary": "The case's exhibits, oldest first (a consultation)",
                "operationId": "listAttachments",
                "responses": {
                    "200": {"description": "The exhibits", "content": {"application/json": {"schema": listing}}},
                    **_refusals(401, 403, 404),
                },
            },
        },
        "/api/v1/cases/{reference}/attachments/{attachment_id}": {
            "parameters": [ref, item],
            "get": {
                "summary": "The exhibit's bytes as received, as a download (a consultation)",
                "operationId": "getAttachment",
                "responses": {
                    "200": {"description": "The bytes", "content": dict.fromkeys(FILE_EXTENSIONS, binary)},
                    **_refusals(401, 403, 404, 410),
                },
            },
        },
    }
