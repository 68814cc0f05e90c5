"""Just-in-time users from the identity provider's claims, on SQLite and PostgreSQL: every change audited."""

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casework.access import users
from casework.access.groups import load_mapping
from casework.access.identity import Person, SignInRefused, sign_in_person
from casework.access.signin import LocalSignInOff, sign_in
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.entrypoints.cli import main
from casework.storage.tables import CaseEvent
from tests.conftest import TEST_SECRET_KEY

ISSUER = "https://login.microsoftonline.com/tenant/v2.0"
PASSWORD = "a-long-test-password"


@pytest.fixture
def mapping(tmp_path, cw):
    path = tmp_path / "groups.toml"
    path.write_text(
        '[groups]\n"bureau" = { roles = ["crime_bureau"], forces = ["warwickshire"] }\n'
        '"comms" = { roles = ["comms"], forces = ["west_mercia"] }\n"wk" = { forces = ["warwickshire"] }\n'
    )
    return load_mapping(path, cw.settings.forces)


def person(mapping, groups, name="Ann Example", email="ann@example.police.uk"):
    return Person.from_claims(
        {"iss": ISSUER, "sub": "00u1AbC", "name": name, "email": email, "groups": groups}, mapping
    )


def events(cw, action):
    with cw.reader() as uow:
        return list(uow.session.execute(select(CaseEvent).where(CaseEvent.action == action)).scalars())


def test_the_first_sign_in_creates_the_user_from_the_claims(cw, mapping):
    user = sign_in_person(cw, person(mapping, ["bureau"]), mapping)
    assert (user.roles, user.forces, user.display_name, user.email) == (
        ["crime_bureau"],
        ["warwickshire"],
        "Ann Example",
        "ann@example.police.uk",
    )
    (added,) = events(cw, "user_added")
    assert added.actor == "system:sso" and added.data["issuer"] == ISSUER and added.data["subject"] == "00u1AbC"
    assert users.actor_for(cw, user.username).display_name == "Ann Example"


def test_a_sign_in_with_the_same_claims_changes_nothing_and_records_nothing(cw, mapping):
    first = sign_in_person(cw, person(mapping, ["bureau"]), mapping)
    again = sign_in_person(cw, person(mapping, ["bureau"]), mapping)
    assert again.id == first.id
    assert len(events(cw, "user_added")) == 1 and not events(cw, "user_roles_changed") + events(cw, "user_updated")


def test_new_groups_change_roles_and_forces_as_one_audited_change(cw, mapping):
    sign_in_person(cw, person(mapping, ["bureau"]), mapping)
    user = sign_in_person(cw, person(mapping, ["comms", "wk"]), mapping)
    assert (user.roles, user.forces) == (["comms"], ["warwickshire", "west_mercia"])
    (changed,) = events(cw, "user_roles_changed")
    assert changed.data["before"] == {"roles": ["crime_bureau"], "forces": ["warwickshire"]}
    assert changed.data["after"] == {"roles": ["comms"], "forces": ["warwickshire", "west_mercia"]}


def test_a_new_name_or_address_is_an_audited_change_too(cw, mapping):
    sign_in_person(cw, person(mapping, ["bureau"]), mapping)
    user = sign_in_person(cw, person(mapping, ["bureau"], name="Ann Married", email=None), mapping)
    assert (user.display_name, user.email) == ("Ann Married", None)
    (updated,) = events(cw, "user_updated")
    assert updated.data["changes"] == {
        "display_name": ["Ann Example", "Ann Married"],
        "email": ["ann@example.police.uk", None],
    }


@pytest.mark.parametrize("groups", [[], ["unknown"], ["wk"]])
def test_claims_that_grant_no_role_are_refused_and_the_refusal_recorded(cw, mapping, groups):
    with pytest.raises(SignInRefused):
        sign_in_person(cw, person(mapping, groups), mapping)
    assert users.list_users(cw) == []
    (refused,) = events(cw, "sso_refused")
    assert refused.data["groups"] == groups and refused.data["subject"] == "00u1AbC"


def test_losing_every_group_refuses_the_existing_user_and_keeps_their_old_roles_unused(cw, mapping):
    user = sign_in_person(cw, person(mapping, ["bureau"]), mapping)
    with pytest.raises(SignInRefused, match="grants a casework role"):
        sign_in_person(cw, person(mapping, []), mapping)
    assert users.get_user(cw, user.username).roles == ["crime_bureau"]


def test_a_deactivated_user_is_refused_whatever_their_groups(cw, mapping):
    user = sign_in_person(cw, person(mapping, ["bureau"]), mapping)
    with cw.uow() as uow:
        row = users.find_user(uow.session, user.username)
        row.active = False
        uow.session.add(row)
        uow.commit()
    with pytest.raises(SignInRefused, match="deactivated"):
        sign_in_person(cw, person(mapping, ["bureau"]), mapping)


def test_with_local_sign_in_off_only_break_glass_users_may_use_a_password(cw, make):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    make.user("root", ["supervisor"], password=PASSWORD)
    users.set_break_glass(cw, "root", True)
    off = bootstrap(
        Settings(
            secret_key=TEST_SECRET_KEY,
            database_url=str(cw.engine.url.render_as_string(hide_password=False)),
            local_login=False,
        )
    )
    try:
        with pytest.raises(LocalSignInOff):
            sign_in(off, "ann", PASSWORD)
        assert sign_in(off, "root", PASSWORD).username == "root"
    finally:
        off.engine.dispose()
    assert [e.data["username"] for e in events(cw, "user_break_glass_set")] == ["root"]


def test_the_break_glass_flag_is_set_and_cleared_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, ["--db", url, *args], input=input, catch_exceptions=False)

    assert run("init").exit_code == 0
    run("users", "add", "root", "--role", "supervisor", "--force", "warwickshire", "--password-stdin", input=PASSWORD)
    on = run("users", "break-glass", "root")
    assert on.exit_code == 0 and "root: break-glass on" in on.output
    (row,) = [line for line in run("users", "list").output.splitlines() if " root " in line]
    assert row.count("yes") == 2  # active, and break-glass
    off = run("users", "break-glass", "root", "--off")
    assert off.exit_code == 0 and "root: break-glass off" in off.output
    missing = run("users", "break-glass", "nobody")
    assert missing.exit_code == 4 and "no user 'nobody'" in missing.output
