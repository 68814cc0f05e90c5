"""`backup FILE` and `restore FILE`: copies that are checked, and restores that prove themselves."""

from __future__ import annotations

from pathlib import Path

import click

from casework.audit import backups, checkpoints
from casework.entrypoints.cli.base import runtime


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, file: Path) -> None:
    """Copy the database to FILE while it runs, check the copy, and sign a checkpoint beside it."""
    key = checkpoints.checkpoint_key()
    report = backups.backup(runtime(ctx), file, key)
    click.echo(f"backup: {report.file} ({report.file.stat().st_size:,} bytes, checked) in {report.seconds:.1f} s")
    click.echo(f"checkpoint: {report.checkpoint} ({report.events} events); keep both files together")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The checkpoint made with the backup (default: FILE.checkpoint.json).",
)
@click.pass_context
def restore(ctx: click.Context, file: Path, checkpoint: Path | None) -> None:
    """Restore FILE into a new, empty database, then verify the audit chain against its checkpoint."""
    key = checkpoints.checkpoint_key()
    check = backups.restore(runtime(ctx, create=True), file, key, checkpoint)
    click.echo(f"restored {file}; {check.message}", err=not check.ok)
    ctx.exit(0 if check.ok else 1)


def register(group: click.Group) -> None:
    group.add_command(backup)
    group.add_command(restore)
