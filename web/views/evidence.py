"""Evidence on the case page: upload, thumbnails, downloads and the evidence package."""

from __future__ import annotations

import tempfile

from flask import Blueprint, flash, redirect, request, send_file, url_for

from casework.errors import PermissionDenied, ValidationError
from casework.evidence import attachments, package
from casework.evidence.errors import SuspectFile, TooLarge, UnsupportedType
from web import evidence_http
from web.authz import STAFF, WORKERS, current_actor, requires_roles
from web.extensions import casework
from web.views.cases import refused

bp = Blueprint("evidence", __name__)
PACKAGERS = ("auditor", "crime_bureau")


@bp.post("/cases/<ref>/attachments")
@requires_roles(*WORKERS)
def upload(ref: str):
    cw = casework()
    try:
        attachments.require_adder(current_actor())
        source = evidence_http.upload_source()
        if source is None or not source[1]:
            raise ValidationError({"file": "choose a file to attach"})
        stream, filename, declared, _, description = source
        item = attachments.add_attachment(
            cw, current_actor(), ref, stream, filename=filename, description=description, declared_type=declared
        )
    except (ValidationError, PermissionDenied, TooLarge, UnsupportedType, SuspectFile) as exc:
        return refused(ref, "attachment", exc)
    flash(f"Exhibit {item.exhibit} added ({item.media_type}, SHA-256 {item.sha256}).", "info")
    return redirect(url_for("cases.show", ref=ref) + "#attachments")


@bp.get("/cases/<ref>/attachments/<int:attachment_id>")
@requires_roles(*STAFF)
def download(ref: str, attachment_id: int):
    cw = casework()
    opened = attachments.open_attachment(cw, current_actor(), ref, attachment_id, "web", "download")
    return evidence_http.download(cw, opened)


@bp.get("/cases/<ref>/attachments/<int:attachment_id>/thumbnail")
@requires_roles(*STAFF)
def thumbnail(ref: str, attachment_id: int):
    opened = attachments.open_attachment(casework(), current_actor(), ref, attachment_id, "web", "thumbnail")
    return evidence_http.thumbnail(opened)


@bp.post("/cases/<ref>/evidence-package")
@requires_roles(*PACKAGERS)
def make_package(ref: str):
    spool = tempfile.TemporaryFile(prefix="casework-package-")  # noqa: SIM115  (send_file closes it)
    try:
        package.make_package(
            casework(), current_actor(), ref, request.form.get("recipient", ""), request.form.get("purpose", ""), spool
        )
    except (ValidationError, PermissionDenied) as exc:
        spool.close()
        return refused(ref, "package", exc)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return send_file(spool, mimetype="application/zip", as_attachment=True, download_name=f"{ref}-evidence.zip")
