"""Deny by default: every page names the roles that may open it; the services check again."""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort, request
from flask_login import current_user

from casework.access.actors import Actor
from casework.errors import PermissionDenied
from web.extensions import login_manager

STAFF = ("channel_admin", "crime_bureau", "comms", "supervisor", "auditor")
WORKERS = ("channel_admin", "crime_bureau", "comms", "supervisor")  # auditors only read
OVERSEERS = ("auditor", "supervisor")


def requires_roles(*roles: str):
    """Let the view run only for a signed-in user holding one of `roles`."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                raise PermissionDenied(f"this page is for the roles: {', '.join(roles)}")
            return view(*args, **kwargs)

        guarded.casework_roles = frozenset(roles)
        return guarded

    return decorate


def public(view):
    """Mark a view that anyone may open (the sign-in page)."""
    view.casework_public = True
    return view


def current_actor() -> Actor:
    return current_user.actor


def register_deny_by_default(app: Flask) -> None:
    """Refuse any page whose view declares neither its roles nor that it is public.

    The JSON API under /api authenticates with its own bearer tokens and is left to its blueprint.
    """

    @app.before_request
    def deny_undeclared():
        if request.endpoint in (None, "static") or request.path.startswith("/api/"):
            return None
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "casework_public", False) or getattr(view, "casework_roles", None):
            return None
        abort(403, description="this page declares no roles, so it is closed to everyone")
