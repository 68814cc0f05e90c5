"""The audit log: `audit verify`."""
from __future__ import annotations

import click

from casework import audit as audit_log
from casework.cli.base import runtime


@click.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx) -> None:
    """Check the whole chain; exit 1 naming the first event that does not verify."""
    with runtime(ctx).reader() as uow:
        result = audit_log.verify(uow.session)
    click.echo(result.describe(), err=not result.ok)
    ctx.exit(0 if result.ok else 1)


def register(group: click.Group) -> None:
    group.add_command(audit)
