"""API tokens on the command line: `users token USERNAME`, `users token --revoke ID`, `users tokens`."""

from __future__ import annotations

from datetime import datetime

import click
from rich.console import Console
from rich.table import Table

from casework.access import tokens as token_service
from casework.clock import london
from casework.entrypoints.cli import admin
from casework.entrypoints.cli.base import runtime


def _when(value: datetime | None) -> str:
    return london(value).strftime("%Y-%m-%d %H:%M") if value else "-"


@click.command("token")
@click.argument("username", required=False)
@click.option("--name", default="api", show_default=True, help="What the token is for (shown in listings).")
@click.option("--revoke", "revoke_id", type=int, metavar="ID", help="Revoke the token with this id instead.")
@click.pass_context
def token(ctx: click.Context, username: str | None, name: str, revoke_id: int | None) -> None:
    """Issue an API token for USERNAME (printed once, stored hashed), or revoke one by id."""
    cw = runtime(ctx)
    if revoke_id is not None:
        if username:
            raise click.UsageError("give either USERNAME (to issue) or --revoke ID, not both")
        revoked = token_service.revoke_token(cw, revoke_id)
        click.echo(f"revoked token {revoked.id} ({revoked.name})")
        return
    if not username:
        raise click.UsageError("USERNAME is required to issue a token")
    issued = token_service.issue_token(cw, username, name)
    click.echo(f"token {issued.id} for {issued.username} ({issued.name}); it is shown only now:", err=True)
    click.echo(issued.secret)


@click.command("tokens")
@click.argument("username", required=False)
@click.pass_context
def tokens(ctx: click.Context, username: str | None) -> None:
    """List API tokens (never their secrets)."""
    table = Table("id", "user", "name", "created", "last used", "revoked")
    for tok, owner in token_service.list_tokens(runtime(ctx), username):
        table.add_row(
            str(tok.id), owner, tok.name, _when(tok.created_at), _when(tok.last_used_at), _when(tok.revoked_at)
        )
    Console(width=160).print(table)


def register(group: click.Group) -> None:
    admin.users.add_command(token)
    admin.users.add_command(tokens)
