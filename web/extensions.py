"""Extensions, created unbound and attached in `create_app` (no import cycles)."""

from __future__ import annotations

from flask import current_app
from flask_login import LoginManager, UserMixin
from flask_wtf import CSRFProtect

from casework.access.actors import Actor
from casework.errors import AuthenticationFailed, UserNotFound
from casework.runtime import Casework

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."


def casework() -> Casework:
    """The core wired for this app."""
    return current_app.extensions["casework"]


class WebUser(UserMixin):
    """The signed-in user for Flask-Login; carries the Actor the services need."""

    def __init__(self, actor: Actor):
        self.actor = actor

    def get_id(self) -> str:
        return self.actor.username

    def has_role(self, *roles: str) -> bool:
        return bool(self.actor.roles & set(roles))


@login_manager.user_loader
def load_user(username: str) -> WebUser | None:
    """The session's user, only when the server-side session belongs to that same user."""
    from casework.access.users import actor_for
    from web.sessions import signed_in_user_id

    try:
        actor = actor_for(casework(), username)
    except (UserNotFound, AuthenticationFailed):
        return None
    return WebUser(actor) if actor.id is not None and actor.id == signed_in_user_id() else None
