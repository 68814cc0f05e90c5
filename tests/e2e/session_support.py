"""Signing a test client in without the password round (argon2 is slow; sign-in has its own tests)."""

from flask.json.tag import TaggedJSONSerializer

from casework.access import sessions, users


def sign_in_client(client, username: str) -> str:
    """Give the client a server-side session for `username`, as the sign-in page would; returns its token."""
    app = client.application
    cw = app.extensions["casework"]
    live = sessions.start(cw, users.get_user(cw, username))
    sessions.save_data(cw, live.token, TaggedJSONSerializer().dumps({"_user_id": username, "_fresh": True}))
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], live.token)
    return live.token
