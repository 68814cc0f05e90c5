"""Refusals of an upload, each with its HTTP status: too large, a type we do not keep, or a file that lies."""

from __future__ import annotations

from casework.errors import CaseworkError, ValidationError


class TooLarge(CaseworkError):
    http_status = 413
    exit_code = 3
    title = "Attachment too large"


class UnsupportedType(CaseworkError):
    """The content is not one of the kept types (SVG, HTML, executables, archives, unknown bytes)."""

    http_status = 415
    exit_code = 3
    title = "Unsupported attachment type"


class SuspectFile(ValidationError):
    """The content contradicts its name or declared type, or is two formats at once (a polyglot)."""

    title = "Attachment refused"

    def __init__(self, problem: str):
        super().__init__({"file": problem})


class IncompleteUpload(ValidationError):
    """The body ended before its declared length: nothing is stored."""

    http_status = 400
    title = "Upload cut off"

    def __init__(self, problem: str = "the upload ended before all its bytes arrived; nothing was stored"):
        super().__init__({"file": problem})


class Redacted(CaseworkError):
    """The bytes were removed at redaction; the record and its digest remain."""

    http_status = 410
    exit_code = 4
    title = "Attachment redacted"
