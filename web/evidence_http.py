"""HTTP plumbing shared by the attachment pages and the API: reading an upload, and sending bytes safely."""

from __future__ import annotations

from flask import Flask, Response, request

from casework.evidence import attachments
from casework.evidence.sniff import FILE_EXTENSIONS
from casework.runtime import Casework

FORM_OVERHEAD = 1024 * 1024  # multipart boundaries and the other fields
# A downloaded file must never run as a page of ours: no sniffing, no script, no plugins, a sandbox.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox; frame-ancestors 'none'"


UPLOAD_ENDPOINTS = frozenset({"evidence.upload", "flag.index", "api.post_attachment"})


def register_upload_limits(app: Flask) -> None:
    """On the endpoints that take files, raise the app's 2 MB body limit to the attachment cap (Flask 3.1).

    It runs before every other hook: the CSRF check reads the form, and so the body, before any view.
    """

    def raise_limit() -> None:
        if request.method == "POST" and request.endpoint in UPLOAD_ENDPOINTS:
            cw: Casework = app.extensions["casework"]
            request.max_content_length = cw.settings.evidence_max_bytes + FORM_OVERHEAD

    app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)


def upload_source():
    """(stream, filename, declared type, expected size, description) from a multipart form or a raw body."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            return None
        return upload.stream, upload.filename, upload.mimetype, None, request.form.get("description", "")
    filename = request.args.get("filename") or request.headers.get("X-Filename", "")
    description = request.args.get("description") or request.headers.get("X-Description", "")
    return request.stream, filename, request.mimetype, request.content_length, description


def download(cw: Casework, opened: attachments.Opened) -> Response:
    """The exhibit's bytes as a download, streamed a chunk at a time."""
    item = opened.attachment
    name = f"{opened.case.reference}_{item.exhibit.replace('/', '-')}.{FILE_EXTENSIONS.get(item.media_type, 'bin')}"
    response = Response(attachments.chunks(cw, opened), mimetype=item.media_type, direct_passthrough=True)
    response.headers.update(
        {
            "Content-Length": str(item.size),
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": SANDBOX_CSP,
            "Digest": f"sha-256={item.sha256}",
        }
    )
    return response


def thumbnail(opened: attachments.Opened) -> Response:
    """The re-encoded PNG made at upload; never the uploaded bytes."""
    response = Response(opened.attachment.thumbnail or b"", mimetype="image/png")
    response.headers.update({"X-Content-Type-Options": "nosniff", "Content-Security-Policy": SANDBOX_CSP})
    return response
