"""Attachments in the API: add (multipart or raw body), list, download."""

from __future__ import annotations

from flask import jsonify, url_for

from casework.audit import disclosure
from casework.errors import ValidationError
from casework.evidence import attachments
from web import evidence_http
from web.api import actor, bp
from web.extensions import casework


def attachment_json(reference: str, item) -> dict:
    return {
        "id": item.id,
        "exhibit": item.exhibit,
        "sha256": item.sha256,
        "size": item.size,
        "media_type": item.media_type,
        "filename": item.filename,
        "description": item.description,
        "producer": item.producer,
        "producer_name": item.producer_name,
        "added_at": item.added_at.isoformat().replace("+00:00", "Z"),
        "redacted_at": item.redacted_at.isoformat().replace("+00:00", "Z") if item.redacted_at else None,
        "href": url_for("api.get_attachment", reference=reference, attachment_id=item.id),
    }


@bp.post("/cases/<reference>/attachments")
def post_attachment(reference: str):
    """Attach a file: multipart (`file`, `description`) or the raw body (`?filename=&description=`)."""
    cw = casework()
    attachments.require_adder(actor())
    source = evidence_http.upload_source()
    if source is None:
        raise ValidationError({"file": "send the file in a multipart field named file, or as the raw body"})
    stream, filename, declared, expected, description = source
    item = attachments.add_attachment(
        cw,
        actor(),
        reference,
        stream,
        filename=filename,
        description=description,
        declared_type=declared,
        expected_size=expected,
        via="api",
    )
    location = url_for("api.get_attachment", reference=reference, attachment_id=item.id)
    return jsonify(attachment_json(reference, item)), 201, {"Location": location}


@bp.get("/cases/<reference>/attachments")
def list_attachments(reference: str):
    """The case's exhibits, oldest first (a consultation of the case)."""
    cw = casework()
    case, items = attachments.list_attachments(cw, actor(), reference)
    disclosure.log_view(cw, actor(), case, "api")
    return jsonify({"reference": reference, "attachments": [attachment_json(reference, i) for i in items]})


@bp.get("/cases/<reference>/attachments/<int:attachment_id>")
def get_attachment(reference: str, attachment_id: int):
    """The exhibit's bytes as received (a consultation, logged before they are sent)."""
    cw = casework()
    opened = attachments.open_attachment(cw, actor(), reference, attachment_id, "api", "download")
    return evidence_http.download(cw, opened)
