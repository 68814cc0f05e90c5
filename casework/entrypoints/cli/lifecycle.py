"""A user's life on the command line: `users deactivate|activate|update|password USER` (SPEC §8, release 2)."""

from __future__ import annotations

import sys

import click

from casework.access import lifecycle
from casework.entrypoints.cli import admin
from casework.entrypoints.cli.base import runtime


def _plural(count: int, what: str) -> str:
    return f"{count} {what}{'' if count == 1 else 's'}"


def _listed(raw: str | None) -> list[str] | None:
    return None if raw is None else [part.strip() for part in raw.split(",") if part.strip()]


@click.command("deactivate")
@click.argument("username")
@click.pass_context
def deactivate(ctx: click.Context, username: str) -> None:
    """Stop USER from acting: every session ends and every API token is revoked at once."""
    done = lifecycle.deactivate(runtime(ctx), username)
    click.echo(
        f"deactivated {done.user.username}: {_plural(done.sessions_ended, 'session')} ended, "
        f"{_plural(len(done.tokens_revoked), 'API token')} revoked"
    )


@click.command("activate")
@click.argument("username")
@click.pass_context
def activate(ctx: click.Context, username: str) -> None:
    """Let a deactivated USER act again (revoked API tokens stay revoked)."""
    user = lifecycle.activate(runtime(ctx), username)
    click.echo(f"activated {user.username}")


@click.command("update")
@click.argument("username")
@click.option("--roles", metavar="R,..", help="The user's roles from now on, comma-separated.")
@click.option("--forces", metavar="F,..", help="The user's forces from now on, comma-separated.")
@click.pass_context
def update(ctx: click.Context, username: str, roles: str | None, forces: str | None) -> None:
    """Replace USER's roles and/or forces; their sessions end so the change applies at once."""
    user = lifecycle.update_membership(runtime(ctx), username, roles=_listed(roles), forces=_listed(forces))
    click.echo(f"updated {user.username}: roles {', '.join(user.roles)}; forces {', '.join(user.forces)}")


@click.command("password")
@click.argument("username")
@click.pass_context
def password(ctx: click.Context, username: str) -> None:
    """Set USER's password from the first line of standard input; their sessions end."""
    user = lifecycle.set_password(runtime(ctx), username, sys.stdin.readline().rstrip("\r\n"))
    click.echo(f"new password set for {user.username}; their sessions have ended")


def register(group: click.Group) -> None:
    for command in (deactivate, activate, update, password):
        admin.users.add_command(command)
