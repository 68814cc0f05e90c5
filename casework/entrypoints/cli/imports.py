"""`casework import FILE`: bulk intake with a progress bar on stderr and every bad line reported."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn, TransferSpeedColumn

from casework.access import users as user_service
from casework.entrypoints.cli.base import runtime
from casework.intake import importer
from casework.intake.channels import configured_channels
from casework.intake.detector import configured_detector


def _guess_format(path: Path) -> str:
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(importer.FORMATS),
    help="jsonl or csv (flagged comments with a reason), or one platform payload per line "
    "(run through the detector). Default: from the file name.",
)
@click.option("--as", "username", required=True, help="The importing user (a channel admin of the forces).")
@click.option(
    "--channels",
    "channels_file",
    type=click.Path(exists=True, dir_okay=False),
    envvar="CASEWORK_CHANNELS_FILE",
    help="Channels file mapping platform accounts to forces.",
)
@click.pass_context
def import_(ctx: click.Context, file: Path, fmt: str | None, username: str, channels_file: str | None) -> None:
    """Import FILE: good lines become cases, bad lines are reported; a re-run creates nothing twice."""
    cw = runtime(ctx)
    actor = user_service.actor_for(cw, username)
    fmt = fmt or _guess_format(file)
    channels = configured_channels(cw.settings.forces, {"CASEWORK_CHANNELS_FILE": channels_file or ""})
    detector = configured_detector()
    console = Console(stderr=True, highlight=False)
    columns = (TextColumn("importing"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        task = progress.add_task("import", total=os.path.getsize(file))

        def bad_line(number: int, reason: str) -> None:
            # One line per error however wide (soft_wrap): lines are meant for grep and for people.
            progress.console.print(
                f"{file.name}: line {number}: {reason}", markup=False, highlight=False, soft_wrap=True
            )

        report = importer.import_file(
            cw,
            file,
            fmt,
            actor,
            channels=channels,
            detector=detector,
            on_error=bad_line,
            on_bytes=lambda n: progress.advance(task, n),
        )
    summary = (
        f"{report.records} records: {report.created} new cases, {report.already_present} already present, "
        f"{report.not_flagged} not flagged (not stored), {report.changes_recorded} changes recorded, "
        f"{report.failed} failed"
    )
    click.echo(summary)
    if report.failed:
        ctx.exit(3)


def register(group: click.Group) -> None:
    group.add_command(import_)
