"""A user's life on the command line: deactivate, activate, update roles or forces, new password.

Each is an audit event and ends every session of that user at once; deactivation revokes their tokens.
"""

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from casework.access import lifecycle, sessions, tokens, users
from casework.access.sessions import UserSession
from casework.entrypoints.cli import main
from casework.errors import AuthenticationFailed, UserNotFound, ValidationError
from casework.storage.tables import CaseEvent

PASSWORD = "a-long-test-password"


@pytest.fixture
def ann(cw, make):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    return users.get_user(cw, "ann")


@pytest.fixture
def cli(cw):
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, ["--db", cw.settings.database_url, *args], input=input, catch_exceptions=False)

    return run


def sessions_of(cw, user):
    with cw.reader() as uow:
        query = select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
        return uow.session.execute(query).scalar_one()


def last_event(cw, action):
    with cw.reader() as uow:
        query = select(CaseEvent).where(CaseEvent.action == action).order_by(CaseEvent.seq.desc()).limit(1)
        return uow.session.execute(query).scalar_one()


def two_browsers(cw, user):
    return [sessions.start(cw, user).token for _ in range(2)]


def test_deactivating_a_user_ends_their_sessions_and_revokes_their_tokens(cw, cli, ann):
    browsers = two_browsers(cw, ann)
    token = tokens.issue_token(cw, "ann", "detector box")
    result = cli("users", "deactivate", "ann")
    assert result.exit_code == 0, result.output
    assert "deactivated ann: 2 sessions ended, 1 API token revoked" in result.output
    assert [sessions.resume(cw, b) for b in browsers] == [None, None] and sessions_of(cw, ann) == 0
    with pytest.raises(AuthenticationFailed):
        tokens.actor_for_token(cw, token.secret)
    with pytest.raises(AuthenticationFailed):
        users.authenticate(cw, "ann", PASSWORD)
    event = last_event(cw, "user_deactivated")
    assert event.data == {"username": "ann", "tokens_revoked": [token.id], "sessions_ended": 2}
    assert last_event(cw, "session_ended").data["reason"] == "deactivated"


def test_activating_lets_the_user_sign_in_again_but_tokens_stay_revoked(cw, cli, ann):
    token = tokens.issue_token(cw, "ann", "detector box")
    cli("users", "deactivate", "ann")
    assert cli("users", "activate", "ann").exit_code == 0
    assert users.authenticate(cw, "ann", PASSWORD).username == "ann"
    with pytest.raises(AuthenticationFailed):
        tokens.actor_for_token(cw, token.secret)
    assert last_event(cw, "user_activated").data == {"username": "ann"}


def test_changing_roles_or_forces_ends_the_sessions_so_the_change_applies_at_once(cw, cli, ann):
    browsers = two_browsers(cw, ann)
    result = cli("users", "update", "ann", "--roles", "comms,supervisor", "--forces", "warwickshire,west_mercia")
    assert result.exit_code == 0, result.output
    assert users.get_user(cw, "ann").roles == ["comms", "supervisor"]
    assert users.get_user(cw, "ann").forces == ["warwickshire", "west_mercia"]
    assert [sessions.resume(cw, b) for b in browsers] == [None, None]
    event = last_event(cw, "user_updated")
    assert event.data["before"] == {"roles": ["channel_admin"], "forces": ["warwickshire"]}
    assert event.data["roles"] == ["comms", "supervisor"] and event.data["sessions_ended"] == 2


@pytest.mark.parametrize(
    "args,field",
    [
        (["--roles", "sheriff"], "roles"),
        (["--forces", "gotham"], "forces"),
        (["--roles", ""], "roles"),
        ([], "roles"),
    ],
)
def test_a_bad_update_is_refused_and_changes_nothing(cw, cli, ann, args, field):
    browser = sessions.start(cw, ann).token
    result = cli("users", "update", "ann", *args)
    assert result.exit_code == 3 and f"{field}:" in result.output
    assert users.get_user(cw, "ann").roles == ["channel_admin"] and sessions.resume(cw, browser) is not None


def test_a_new_password_comes_on_standard_input_and_ends_every_session(cw, cli, ann):
    browser = sessions.start(cw, ann).token
    result = cli("users", "password", "ann", input="three random words here\n")
    assert result.exit_code == 0, result.output
    assert users.authenticate(cw, "ann", "three random words here").username == "ann"
    with pytest.raises(AuthenticationFailed):
        users.authenticate(cw, "ann", PASSWORD)
    assert sessions.resume(cw, browser) is None
    assert last_event(cw, "password_changed").data == {"username": "ann", "sessions_ended": 1}
    assert PASSWORD not in str(last_event(cw, "password_changed").data)


def test_a_weak_new_password_is_refused_and_the_old_one_kept(cw, cli, ann):
    browser = sessions.start(cw, ann).token
    result = cli("users", "password", "ann", input="password1234\n")
    assert result.exit_code == 3 and "password: too easy to guess" in result.output
    assert users.authenticate(cw, "ann", PASSWORD).username == "ann" and sessions.resume(cw, browser) is not None


@pytest.mark.parametrize("command", [["deactivate"], ["activate"], ["update", "--roles", "comms"], ["password"]])
def test_an_unknown_user_is_named(cli, command, cw):
    result = cli("users", command[0], "nobody", *command[1:], input="three random words here\n")
    assert result.exit_code == 4 and "no user 'nobody'" in result.output


def test_the_services_end_sessions_for_other_callers_too(cw, ann):
    """`end_sessions` is the one path: single sign-on calls it when a provider changes a user's groups."""
    browser = sessions.start(cw, ann).token
    with cw.uow() as uow:
        assert sessions.end_sessions(uow, ann.id, "groups_changed", cw.now(), actor="system:oidc") == 1
        uow.commit()
    assert sessions.resume(cw, browser) is None
    event = last_event(cw, "session_ended")
    assert (event.actor, event.role, event.data["reason"]) == ("system:oidc", "system", "groups_changed")
    with pytest.raises(UserNotFound):
        lifecycle.deactivate(cw, "nobody")
    with pytest.raises(ValidationError):
        lifecycle.update_membership(cw, "ann")


@pytest.mark.parametrize("weak", ["aaaaaaaaaa", "1234567890", "password12", "karen.ellis", " " * 10, "password1234"])
def test_users_add_refuses_a_weak_password_and_creates_nobody(cw, cli, weak):
    result = cli(
        "users",
        "add",
        "karen.ellis",
        "--role",
        "comms",
        "--force",
        "warwickshire",
        "--password-stdin",
        input=weak + "\n",
    )
    assert result.exit_code == 3 and "password:" in result.output
    assert users.list_users(cw) == []
