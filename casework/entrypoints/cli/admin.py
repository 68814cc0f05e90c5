"""Setting up: `init`, `users`, `workflow diagram`."""

from __future__ import annotations

import os
import sys

import click
from rich.console import Console
from rich.table import Table

from casework.access import users as user_service
from casework.access.secret_key import SETTING, write_instance_secret
from casework.config import SECRET_FILE
from casework.entrypoints.cli.base import runtime
from casework.evidence.keys import ensure_key
from casework.storage.schema import migrate
from workflows.diagram import mermaid


@click.command()
@click.option("--demo", is_flag=True, help="Also create demo users and cases (only into an empty database).")
@click.pass_context
def init(ctx: click.Context, demo: bool) -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    cw = runtime(ctx, create=True)
    migrate(cw.engine)
    click.echo(f"database ready: {cw.engine.url.render_as_string(hide_password=True)}")
    if not os.environ.get(SETTING):
        _, written = write_instance_secret(cw.settings.instance_path)
        where = cw.settings.instance_path / SECRET_FILE
        click.echo(f"secret key: {'written to' if written else 'kept in'} {where} (mode 0600)")
    key_path, key_created = ensure_key(cw.settings.evidence_key_file)
    click.echo(f"evidence signing key {'created' if key_created else 'kept'}: {key_path} (mode 0600)")
    if demo:
        from casework.entrypoints.demo import DEMO_PASSWORD, load_demo

        created = load_demo(cw)
        if created:
            click.echo(
                f"demo data: {created.users} users, {created.cases} cases; every demo password is {DEMO_PASSWORD!r}"
            )
        else:
            click.echo("demo data: the database already has users; left as it is")


@click.group()
def users() -> None:
    """Manage users."""


@users.command("add")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(user_service.HUMAN_ROLES),
    help="A role (repeat for several).",
)
@click.option("--force", "forces", multiple=True, required=True, help="A force code (repeat for several).")
@click.option("--name", "display_name", help="Display name.")
@click.option("--email", help="E-mail address for notifications.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="No password: the user can only use API tokens.")
@click.pass_context
def users_add(
    ctx: click.Context,
    username: str,
    roles: tuple[str, ...],
    forces: tuple[str, ...],
    display_name: str | None,
    email: str | None,
    password_stdin: bool,
    no_password: bool,
) -> None:
    """Add a user with roles and forces."""
    password: str | None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif no_password:
        password = None
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = user_service.add_user(
        runtime(ctx),
        username,
        roles=list(roles),
        forces=list(forces),
        password=password,
        display_name=display_name,
        email=email,
    )
    click.echo(f"added {user.username}: roles {', '.join(user.roles)}; forces {', '.join(user.forces)}")


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """List users with their roles and forces."""
    table = Table("username", "name", "roles", "forces", "active", "break-glass")
    for user in user_service.list_users(runtime(ctx)):
        table.add_row(
            user.username,
            user.display_name,
            ", ".join(user.roles),
            ", ".join(user.forces),
            "yes" if user.active else "no",
            "yes" if user.break_glass else "",
        )
    Console(width=160).print(table)


@users.command("break-glass")
@click.argument("username")
@click.option("--off", is_flag=True, help="Clear the flag again.")
@click.pass_context
def users_break_glass(ctx: click.Context, username: str, off: bool) -> None:
    """Let USER sign in with a password even when CASEWORK_LOCAL_LOGIN=off (for when the identity provider is down)."""
    user = user_service.set_break_glass(runtime(ctx), username, not off)
    click.echo(f"{user.username}: break-glass {'on' if user.break_glass else 'off'}")


@click.group()
def workflow() -> None:
    """The workflow declaration."""


@workflow.command("diagram")
@click.pass_context
def workflow_diagram(ctx: click.Context) -> None:
    """Print the state diagram as Mermaid text, generated from the declaration."""
    click.echo(mermaid(runtime(ctx).workflow), nl=False)


def register(group: click.Group) -> None:
    for command in (init, users, workflow):
        group.add_command(command)
