"""Sessions live on the server: the cookie is a random token, and ending the session kills every copy."""

from datetime import timedelta

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, select

from casework.access import sessions
from casework.access.sessions import UserSession
from casework.config import Settings
from casework.errors import ValidationError
from casework.storage.tables import CaseEvent
from tests.e2e.conftest import PASSWORD

SHIPPED_KEY = "dev-only-secret-change-me"  # what the source used to sign every instance's sessions with


def events(cw, *actions):
    with cw.reader() as uow:
        query = select(CaseEvent).where(CaseEvent.action.in_(actions)).order_by(CaseEvent.seq)
        return list(uow.session.execute(query).scalars())


def live_sessions(cw):
    """Signed-in sessions (a signed-out browser gets an anonymous one for its flash message)."""
    with cw.reader() as uow:
        query = select(func.count()).select_from(UserSession).where(UserSession.user_id.is_not(None))
        return uow.session.execute(query).scalar_one()


def token_of(client):
    return client.get_cookie("session").value


def copy_of(app, client):
    """A second browser holding a copy of the first one's cookie."""
    other = app.test_client()
    other.set_cookie("session", token_of(client))
    return other


def signed_cookie(key, data):
    """A cookie as Flask's default (signed-cookie) sessions would accept it, minted by an attacker with `key`."""
    forger = Flask("forger")
    forger.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(data)


@pytest.mark.parametrize("key", [SHIPPED_KEY, "the-instance-key"])
@pytest.mark.parametrize("username,path", [("auditor", "/audit/exports"), ("wm.comms2", "/queue?force=west_mercia")])
def test_a_cookie_signed_with_any_key_opens_nothing(app, client, make, key, username, path):
    role = "auditor" if username == "auditor" else "comms"
    make.user(username, [role], ["west_mercia"])
    key = app.config["SECRET_KEY"] if key == "the-instance-key" else key
    client.set_cookie("session", signed_cookie(key, {"_user_id": username, "_fresh": True}))
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_cookie_carries_only_a_random_token(app, client, auth, cw):
    auth.as_new("ann", ["channel_admin"])
    token = token_of(client)
    assert len(token) == 43 and "." not in token and "ann" not in token  # 32 random bytes, nothing signed
    with cw.reader() as uow:
        [row] = uow.session.execute(select(UserSession)).scalars()
    assert row.token_hash != token and token not in row.data  # a copy of the table opens nothing


def test_signing_out_ends_every_copy_of_the_session(app, client, auth, make, cw):
    auth.as_new("wk.comms", ["comms"])
    ref = make.case("comms_action")
    copied = copy_of(app, client)
    assert copied.get("/queue").status_code == 200  # the copy works while the session lives
    client.post("/logout")
    for response in (
        copied.get("/queue"),
        copied.get(f"/cases/{ref}"),
        copied.post(f"/cases/{ref}/comments", data={"text": "posted with a copied cookie"}),
    ):
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert events(cw, "comment") == [] and live_sessions(cw) == 0
    [signed_out] = events(cw, "signed_out")
    assert (signed_out.actor, signed_out.data["username"]) == ("wk.comms", "wk.comms")


def test_signing_in_rotates_the_session_id(cw, make):
    from web import create_app

    client = create_app({"CASEWORK": cw, "TESTING": True}).test_client()  # CSRF on: the form makes a session
    make.user("ann", ["channel_admin"], password=PASSWORD)
    page = client.get("/login").get_data(as_text=True)
    before = token_of(client)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "ann", "password": PASSWORD, "csrf_token": csrf})
    assert token_of(client) != before
    assert sessions.resume(cw, before) is None and sessions.resume(cw, token_of(client)).user_id is not None
    [signed_in] = events(cw, "signed_in")
    assert signed_in.actor == "ann" and signed_in.data["session"] == sessions.resume(cw, token_of(client)).id


def test_a_session_ends_after_thirty_idle_minutes(client, auth, clock, cw):
    auth.as_new("ann", ["channel_admin"])
    clock.advance(minutes=29)
    assert client.get("/queue").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/queue").status_code == 200  # each request keeps it alive
    clock.advance(minutes=30)
    assert client.get("/queue").status_code == 302
    [ended] = events(cw, "session_ended")
    assert (ended.actor, ended.data["username"], ended.data["reason"]) == ("system:sessions", "ann", "idle")


def test_a_session_ends_ten_hours_after_sign_in_however_busy(client, auth, clock, cw):
    auth.as_new("ann", ["channel_admin"])
    for _ in range(29):
        clock.advance(minutes=20)
        assert client.get("/queue").status_code == 200
    clock.advance(minutes=20)  # 10 h after sign-in
    assert client.get("/queue").status_code == 302
    assert [e.data["reason"] for e in events(cw, "session_ended")] == ["expired"]


def test_the_timeouts_are_configurable_and_checked():
    settings = Settings.from_env({"CASEWORK_SESSION_IDLE_MINUTES": "5", "CASEWORK_SESSION_MAX_HOURS": "8"})
    assert (settings.session_idle, settings.session_max) == (timedelta(minutes=5), timedelta(hours=8))
    defaults = Settings.from_env({})
    assert (defaults.session_idle, defaults.session_max) == (timedelta(minutes=30), timedelta(hours=10))
    for name, raw in (("CASEWORK_SESSION_IDLE_MINUTES", "0"), ("CASEWORK_SESSION_MAX_HOURS", "ten")):
        with pytest.raises(ValidationError, match=name):
            Settings.from_env({name: raw})


def test_the_sweep_ends_sessions_nobody_came_back_to_and_drops_anonymous_ones(client, auth, clock, cw):
    auth.as_new("ann", ["channel_admin"])
    sessions.open_anonymous(cw, "")
    clock.advance(minutes=31)
    assert sessions.sweep(cw) == 2
    assert live_sessions(cw) == 0
    assert [(e.data["username"], e.data["reason"]) for e in events(cw, "session_ended")] == [("ann", "idle")]


def test_a_signed_out_session_is_not_brought_back_by_a_request_in_flight(client, auth, cw):
    auth.as_new("ann", ["channel_admin"])
    token = token_of(client)
    sessions.sign_out(cw, token)
    assert sessions.save_data(cw, token, "{}") is False and live_sessions(cw) == 0
