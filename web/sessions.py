"""Flask's session kept on the server (`casework.access.sessions`): the cookie holds only a random token.

Flask's own session is a signed cookie: sign-out only deletes the browser's copy and any copy stays
valid for its whole lifetime. Here the row is the session: ending it signs out every copy at once.
The user a session belongs to is the row's, set at sign-in; Flask-Login's `_user_id` must agree.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Request, Response, request, session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import CallbackDict

from casework.access import sessions
from casework.runtime import Casework
from casework.storage.tables import User

log = logging.getLogger(__name__)


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session's data with the token and user of its row; `new_token` when the cookie must be (re)set."""

    def __init__(self, data: dict[str, Any] | None = None, token: str | None = None, user_id: int | None = None):
        def changed(_: Any) -> None:
            self.modified = True

        super().__init__(data, changed)
        self.token, self.user_id = token, user_id
        self.modified = self.new_token = False


class ServerSessionInterface(SessionInterface):
    serializer = TaggedJSONSerializer()

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        live = sessions.resume(_casework(app), request.cookies.get(self.get_cookie_name(app)))
        if live is None:
            return ServerSession()
        return ServerSession(self.serializer.loads(live.data) if live.data else {}, live.token, live.user_id)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        cw, name = _casework(app), self.get_cookie_name(app)
        if session.token is None and not session:
            if request.cookies.get(name):
                response.delete_cookie(name, path=self.get_cookie_path(app), domain=self.get_cookie_domain(app))
            return
        try:
            if session.token is None:
                data = self.serializer.dumps(dict(session))
                session.token, session.new_token = sessions.open_anonymous(cw, data), True
            elif session.modified and not sessions.save_data(cw, session.token, self.serializer.dumps(dict(session))):
                response.delete_cookie(name, path=self.get_cookie_path(app), domain=self.get_cookie_domain(app))
                return  # ended meanwhile (signed out elsewhere): never brought back
        except OperationalError:  # locked or read-only: the page (a 503 already, or a read) goes out as it is
            log.info("session data not saved: the database refuses writes just now")
            return
        response.vary.add("Cookie")
        if session.new_token:
            response.set_cookie(
                name,
                session.token,
                httponly=self.get_cookie_httponly(app),
                secure=self.get_cookie_secure(app),
                samesite=self.get_cookie_samesite(app),
                path=self.get_cookie_path(app),
                domain=self.get_cookie_domain(app),
            )


def begin_signed_in(user: User, address: str | None) -> None:
    """Replace this browser's session by a new one for `user` (a new token, none of the old data)."""
    current = _current()
    live = sessions.start(_casework(), user, replaces=current.token, address=address)
    current.clear()
    current.token, current.user_id, current.new_token, current.modified = live.token, live.user_id, True, True


def end_signed_in() -> None:
    """Sign this browser out: its session ends on the server, so every copy of the cookie is dead."""
    current = _current()
    if current.token is not None:
        sessions.sign_out(_casework(), current.token)
    current.clear()
    current.token, current.user_id = None, None


def signed_in_user_id() -> int | None:
    """The user the current session belongs to on the server (None when not signed in)."""
    current = session._get_current_object()  # type: ignore[attr-defined]
    return current.user_id if isinstance(current, ServerSession) else None


def _current() -> ServerSession:
    current = session._get_current_object()  # type: ignore[attr-defined]
    assert isinstance(current, ServerSession)
    return current


def _casework(app: Flask | None = None) -> Casework:
    from flask import current_app

    cw: Casework = (app or current_app).extensions["casework"]
    return cw
