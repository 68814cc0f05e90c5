"""API tokens from the command line: printed once, stored hashed, listed without secrets, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from casework.access import tokens
from casework.entrypoints.cli import main
from casework.errors import AuthenticationFailed, NotFound, ValidationError


def test_a_token_acts_for_its_user_until_revoked(cw, make):
    admin = make.staff("admin")
    issued = tokens.issue_token(cw, admin.username, "laptop")
    assert tokens.actor_for_token(cw, issued.secret).username == admin.username
    tokens.revoke_token(cw, issued.id)
    tokens.revoke_token(cw, issued.id)  # harmless twice
    with pytest.raises(AuthenticationFailed):
        tokens.actor_for_token(cw, issued.secret)


@pytest.mark.parametrize("secret", ["", "cw_", "cw_" + "x" * 300, "not-ours", "cw_unknown"])
def test_anything_but_a_live_token_is_refused_the_same_way(cw, secret):
    with pytest.raises(AuthenticationFailed, match="missing, unknown or revoked"):
        tokens.actor_for_token(cw, secret)


def test_tokens_need_an_active_user_and_a_name(cw, make):
    with pytest.raises(NotFound):
        tokens.issue_token(cw, "nobody")
    make.staff("admin")
    with pytest.raises(ValidationError):
        tokens.issue_token(cw, "wa.admin", " ")


def test_the_cli_prints_a_token_once_lists_without_it_and_revokes(cw, make, database_url):
    make.staff("admin")
    runner = CliRunner()
    issued = runner.invoke(main, ["--db", database_url, "users", "token", "wa.admin", "--name", "ci"])
    assert issued.exit_code == 0
    secret = issued.stdout.strip()
    assert secret.startswith("cw_") and tokens.actor_for_token(cw, secret).username == "wa.admin"
    listing = runner.invoke(main, ["--db", database_url, "users", "tokens"])
    assert "wa.admin" in listing.output and secret not in listing.output
    [(token, _)] = tokens.list_tokens(cw)
    revoked = runner.invoke(main, ["--db", database_url, "users", "token", "--revoke", str(token.id)])
    assert revoked.exit_code == 0 and "revoked token" in revoked.output
    with pytest.raises(AuthenticationFailed):
        tokens.actor_for_token(cw, secret)
    missing = runner.invoke(main, ["--db", database_url, "users", "token", "--revoke", "999"])
    assert missing.exit_code == 4 and "no API token with id 999" in missing.output


def test_token_use_is_written_at_most_once_a_minute(cw, make, clock):
    user = make.staff("admin")
    issued = tokens.issue_token(cw, user.username, "minute")

    def last_used():
        with cw.reader() as uow:
            return uow.session.get(tokens.ApiToken, issued.id).last_used_at

    tokens.actor_for_token(cw, issued.secret)
    first = last_used()
    clock.advance(seconds=59)
    tokens.actor_for_token(cw, issued.secret)
    assert last_used() == first
    clock.advance(seconds=1)
    tokens.actor_for_token(cw, issued.secret)
    assert last_used() == first + timedelta(minutes=1)
