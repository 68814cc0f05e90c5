"""One exception hierarchy for the domain; entry points map it to HTTP statuses and exit codes."""

from __future__ import annotations

from typing import Any


class CaseworkError(Exception):
    """Base of every error the domain raises on purpose."""

    http_status = 400
    exit_code = 1
    title = "Request refused"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ValidationError(CaseworkError):
    """Input is missing or invalid; `details["errors"]` maps each field to what is wrong."""

    http_status = 422
    exit_code = 3
    title = "Invalid input"

    def __init__(self, errors: dict[str, str], message: str | None = None):
        text = message or "; ".join(f"{k}: {v}" for k, v in errors.items())
        super().__init__(text, details={"errors": errors})
        self.errors = errors


class NotFound(CaseworkError):
    http_status = 404
    exit_code = 4
    title = "Not found"


class CaseNotFound(NotFound):
    title = "Case not found"


class UserNotFound(NotFound):
    title = "User not found"


class PermissionDenied(CaseworkError):
    """The actor may not do this: wrong role, wrong force, or separation of duties."""

    http_status = 403
    exit_code = 5
    title = "Not allowed"


class TransitionNotAllowed(CaseworkError):
    """The trigger does not apply to the case now (wrong state or a guard refused it)."""

    http_status = 422
    exit_code = 6
    title = "Transition not allowed"


class ConcurrentUpdate(CaseworkError):
    """Someone changed the case since the caller loaded it."""

    http_status = 409
    exit_code = 7
    title = "Case changed meanwhile"


class AuthenticationFailed(CaseworkError):
    http_status = 401
    exit_code = 5
    title = "Authentication failed"


class ConfigurationError(CaseworkError):
    """A setting is missing or malformed (e.g. CASEWORK_DATABASE_URL): nothing was tried."""

    http_status = 500
    exit_code = 3
    title = "Configuration error"


class DatabaseUnavailable(CaseworkError):
    """The database cannot do this now (down, locked, full, read-only, missing); nothing was changed."""

    http_status = 503
    exit_code = 4
    title = "Temporarily unavailable"

    def __init__(self, message: str, *, cause: str, retry_after: int = 5) -> None:
        super().__init__(message, details={"cause": cause})
        self.cause = cause
        self.retry_after = retry_after
