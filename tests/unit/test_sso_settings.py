"""Single sign-on settings and the claims mapping file: checked whole at start-up, with clear errors."""

from pathlib import Path

import pytest

from casework.access.groups import load_mapping
from casework.access.identity import Person, SignInRefused
from casework.config import DEFAULT_FORCES, Settings
from casework.errors import ValidationError

FORCES = list(DEFAULT_FORCES)
ENTRA = """
# Entra ID security groups arrive as object ids in the "groups" claim
claim = "groups"
[groups]
"5f1c2a9e-0b6d-4c1e-9a47-3d2b8e6f7a10" = { roles = ["crime_bureau"], forces = ["warwickshire"] }
"b0d7e3c4-8a21-4f5e-b6c9-1e2f3a4b5c6d" = { roles = ["supervisor"] }
"c9e8d7f6-1a2b-4c3d-8e9f-0a1b2c3d4e5f" = { forces = ["west_mercia"] }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "groups.toml"
    path.write_text(text)
    return path


def test_a_user_gets_the_union_of_the_roles_and_forces_of_their_groups(tmp_path):
    mapping = load_mapping(write(tmp_path, ENTRA), FORCES)
    claims = {"groups": ["b0d7e3c4-8a21-4f5e-b6c9-1e2f3a4b5c6d", "5f1c2a9e-0b6d-4c1e-9a47-3d2b8e6f7a10", "other"]}
    grant = mapping.grant_for(mapping.values_in(claims))
    assert grant.roles == {"crime_bureau", "supervisor"} and grant.forces == {"warwickshire"}


def test_unknown_groups_grant_nothing_and_odd_claim_values_are_ignored(tmp_path):
    mapping = load_mapping(write(tmp_path, ENTRA), FORCES)
    assert mapping.values_in({"groups": [1, None, "x"]}) == ["x"]
    assert mapping.values_in({"groups": {"a": 1}}) == []
    assert mapping.values_in({}) == []
    assert not mapping.grant_for(["x"]).roles


def test_the_claim_can_be_entra_app_roles_given_as_one_string(tmp_path):
    mapping = load_mapping(
        write(tmp_path, 'claim = "roles"\n[groups]\n"Casework.Comms" = { roles = ["comms"] }\n'), FORCES
    )
    assert mapping.grant_for(mapping.values_in({"roles": "Casework.Comms"})).roles == {"comms"}


@pytest.mark.parametrize(
    "text,message",
    [
        ("[groups]\n", "at least one group"),
        ('claim = "groups"\n', "at least one group"),
        ('[groups]\n"g" = { roles = ["wizard"] }\n', "unknown wizard"),
        ('[groups]\n"g" = { roles = ["system"] }\n', "unknown system"),
        ('[groups]\n"g" = { forces = ["atlantis"] }\n', "unknown atlantis"),
        ('[groups]\n"g" = { roles = "comms" }\n', "a list of names"),
        ('[groups]\n"g" = { }\n', "grants neither roles nor forces"),
        ('[groups]\n"g" = { roles = ["comms"], admin = true }\n', "a table of roles"),
        ('claim = ""\n[groups]\n"g" = { roles = ["comms"] }\n', "claim must name one claim"),
        ('grups = 1\n[groups]\n"g" = { roles = ["comms"] }\n', "unknown keys grups"),
        ("[groups\n", "groups.toml"),
    ],
)
def test_a_bad_mapping_file_is_refused_saying_what_is_wrong(tmp_path, text, message):
    with pytest.raises(ValidationError) as refused:
        load_mapping(write(tmp_path, text), FORCES)
    assert message in refused.value.message


def test_a_missing_mapping_file_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="groups.toml"):
        load_mapping(tmp_path / "groups.toml", FORCES)


SSO_ENV = {
    "CASEWORK_OIDC_ISSUER": "https://login.microsoftonline.com/tenant-id/v2.0",
    "CASEWORK_OIDC_CLIENT_ID": "client",
    "CASEWORK_OIDC_CLIENT_SECRET": "secret",
    "CASEWORK_OIDC_GROUPS_FILE": "/etc/casework/groups.toml",
}


def test_single_sign_on_is_read_from_the_environment():
    oidc = Settings.from_env({**SSO_ENV, "CASEWORK_OIDC_PROVIDER_NAME": "Warwickshire ID"}).oidc
    assert oidc.issuer == SSO_ENV["CASEWORK_OIDC_ISSUER"] and oidc.scopes == "openid profile email"
    assert (oidc.provider_name, oidc.clock_skew_seconds) == ("Warwickshire ID", 60)
    assert Settings.from_env({}).oidc is None and Settings.from_env({}).local_login


@pytest.mark.parametrize(
    "change,field",
    [
        ({"CASEWORK_OIDC_CLIENT_SECRET": ""}, "oidc"),
        ({"CASEWORK_OIDC_ISSUER": "http://idp.example"}, "CASEWORK_OIDC_ISSUER"),
        ({"CASEWORK_OIDC_SCOPES": "profile email"}, "CASEWORK_OIDC_SCOPES"),
        ({"CASEWORK_OIDC_CLOCK_SKEW": "3600"}, "CASEWORK_OIDC_CLOCK_SKEW"),
        ({"CASEWORK_OIDC_CLOCK_SKEW": "-1"}, "CASEWORK_OIDC_CLOCK_SKEW"),
        ({"CASEWORK_LOCAL_LOGIN": "maybe"}, "CASEWORK_LOCAL_LOGIN"),
    ],
)
def test_bad_single_sign_on_settings_are_refused(change, field):
    with pytest.raises(ValidationError) as refused:
        Settings.from_env({**SSO_ENV, **change})
    assert field in refused.value.errors


def test_a_private_key_file_may_stand_in_for_the_client_secret():
    env = {**SSO_ENV, "CASEWORK_OIDC_CLIENT_SECRET": "", "CASEWORK_OIDC_CLIENT_KEY_FILE": "/etc/casework/client.pem"}
    assert str(Settings.from_env(env).oidc.client_key_file) == "/etc/casework/client.pem"


def test_local_sign_in_can_be_switched_off():
    assert Settings.from_env({"CASEWORK_LOCAL_LOGIN": "off"}).local_login is False


def test_the_username_is_stable_per_issuer_and_subject_whatever_the_name(tmp_path):
    mapping = load_mapping(write(tmp_path, ENTRA), FORCES)
    one = Person.from_claims({"iss": "https://a", "sub": "AbC", "name": "Ann"}, mapping)
    renamed = Person.from_claims({"iss": "https://a", "sub": "AbC", "name": "Ann Married"}, mapping)
    other_case = Person.from_claims({"iss": "https://a", "sub": "abc"}, mapping)
    other_issuer = Person.from_claims({"iss": "https://b", "sub": "AbC"}, mapping)
    assert one.username == renamed.username
    assert len({one.username, other_case.username, other_issuer.username}) == 3
    assert other_case.display_name == "abc"  # no name claim: shown by the subject


def test_a_subject_longer_than_openid_connect_allows_is_refused(tmp_path):
    mapping = load_mapping(write(tmp_path, ENTRA), FORCES)
    with pytest.raises(SignInRefused, match="longer than 255"):
        Person.from_claims({"iss": "https://a", "sub": "x" * 256}, mapping)
