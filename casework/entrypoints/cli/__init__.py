"""The `casework` command line: every verb calls the same service functions as the web and API."""

from __future__ import annotations

import sys

import click

from casework.entrypoints.cli import (
    admin,
    auditing,
    backups,
    cases,
    config,
    evidence,
    finding,
    imports,
    lifecycle,
    notify,
    records,
    serve,
    sla,
    tokens,
)
from casework.entrypoints.cli.base import CaseworkGroup


@click.group(cls=CaseworkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "database_url",
    envvar="CASEWORK_DATABASE_URL",
    metavar="URL",
    help="Database URL (default: sqlite:///instance/casework.db).",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """casework: flagged comments on police social-media channels, worked as cases (policy A017)."""
    ctx.obj = {"database_url": database_url}


for module in (
    admin,
    cases,
    finding,
    records,
    sla,
    notify,
    tokens,
    lifecycle,
    imports,
    serve,
    auditing,
    config,
    backups,
    evidence,
):
    module.register(main)

if __name__ == "__main__":
    sys.exit(main())
