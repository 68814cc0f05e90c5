"""The audit log: `audit verify`, and `audit tallies` (the dashboard's summary rows against a recount)."""

from __future__ import annotations

from typing import IO

import click

from casework.audit import checkpoints
from casework.audit import verify as audit_log
from casework.cases import tallies
from casework.entrypoints.cli.base import runtime
from casework.evidence import integrity
from casework.storage.backup import quick_check


@click.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.File("rb"),
    help="Also prove a signed checkpoint: nothing before it changed, nothing after it cut off.",
)
@click.pass_context
def audit_verify(ctx: click.Context, checkpoint_file: IO[bytes] | None) -> None:
    """Check the file (SQLite quick_check), the chain, every case and comment against it, and re-hash every
    stored attachment; exit 1 naming the first fault."""
    if damage := quick_check(runtime(ctx).engine):
        click.echo(f"the database file is damaged (quick_check): {'; '.join(damage[:5])}", err=True)
        ctx.exit(1)
    if checkpoint_file is not None:
        check = checkpoints.verify_checkpoint(runtime(ctx), checkpoint_file.read(), checkpoints.checkpoint_key())
        click.echo(check.message, err=not check.ok)
        ctx.exit(0 if check.ok else 1)
    cw = runtime(ctx)
    with cw.reader() as uow:
        result = audit_log.verify(uow.session, workflow=cw.workflow)
        blobs = integrity.verify_blobs(uow.session)
    click.echo(result.describe(), err=not result.ok)
    click.echo(blobs.describe(), err=not blobs.ok)
    ctx.exit(0 if result.ok and blobs.ok else 1)


@audit.command("tallies")
@click.option("--repair", is_flag=True, help="Replace the tallies by the recount when they differ.")
@click.pass_context
def audit_tallies(ctx: click.Context, repair: bool) -> None:
    """Recount the dashboard's tallies from the cases and clocks and compare; exit 1 naming each difference."""
    cw = runtime(ctx)
    with cw.engine.begin() as connection:
        found = tallies.differences(connection)
        if found and repair:
            tallies.refill(connection)
    for line in found:
        click.echo(line, err=True)
    click.echo(f"tallies {'repaired' if found and repair else 'differ' if found else 'match a recount'}")
    ctx.exit(1 if found and not repair else 0)


def register(group: click.Group) -> None:
    group.add_command(audit)
