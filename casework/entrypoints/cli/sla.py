"""Timeliness: `sla sweep`, `sla status`, and `worker` (the scheduler in the foreground)."""

from __future__ import annotations

import logging
import signal
from datetime import datetime
from types import FrameType

import click
from rich.console import Console
from rich.table import Table

from casework.clock import london
from casework.entrypoints.cli.base import runtime
from casework.logs import configure_logging
from casework.sla import queries
from casework.sla.sweep import sweep as sweep_once

log = logging.getLogger("casework.worker")


def _when(value: datetime | None) -> str:
    return london(value).strftime("%Y-%m-%d %H:%M %Z") if value else "-"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}es" if word.endswith("ch") else f"{n} {word}s"


@click.group()
def sla() -> None:
    """SLA clocks: deadlines, warnings and breaches."""


@sla.command("sweep")
@click.pass_context
def sla_sweep(ctx: click.Context) -> None:
    """Record every warning and breach now due, once each, at the time it happened."""
    cw = runtime(ctx)
    result = sweep_once(cw)
    if result.skipped:
        click.echo("another process is sweeping; nothing done")
        return
    refs = queries.references(cw, (m.case_id for m in result.marks))
    for m in sorted(result.marks, key=lambda m: m.order):
        what = "warning" if m.kind == "sla_warning" else "BREACH"
        click.echo(f"{what:7} {refs[m.case_id]} {m.clock} at {_when(m.at)} (due {_when(m.due_at)})")
    click.echo(f"recorded {_count(len(result.warnings), 'warning')} and {_count(len(result.breaches), 'breach')}")
    for force, reason in sorted(result.skipped_forces.items()):
        click.echo(f"error: force {force} was NOT swept: {reason} (see `casework config check`)", err=True)
    if result.skipped_forces:
        ctx.exit(3)


@sla.command("status")
@click.option("--force", "forces", multiple=True, help="Only these forces (repeat for several).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.pass_context
def sla_status(ctx: click.Context, forces: tuple[str, ...], limit: int) -> None:
    """Running clocks due soonest, and the latest breaches (times in Europe/London)."""
    cw = runtime(ctx)
    forces = forces or tuple(cw.settings.forces)
    unknown = set(forces) - set(cw.settings.forces)
    if unknown:
        raise click.BadParameter(f"unknown force {', '.join(sorted(unknown))}", param_hint="--force")
    now, console = cw.now(), Console(width=160)
    due = Table("case", "clock", "started", "due", "status", title="Running clocks, due soonest")
    for v in queries.open_clocks(cw, forces, limit):
        due.add_row(v.reference, v.label, _when(v.started_at), _when(v.due_at), v.words(now))
    console.print(due)
    late = Table("case", "clock", "due", "breached", "now", title="Latest breaches")
    for v in queries.breaches(cw, forces, limit):
        late.add_row(v.reference, v.label, _when(v.due_at), _when(v.breached_at), v.words(now))
    console.print(late)


@click.command()
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run the scheduler in the foreground (SLA sweep and other jobs) until SIGTERM or Ctrl-C."""
    from casework.entrypoints.cli.config import require_sound_configuration
    from casework.entrypoints.scheduler import build_scheduler

    configure_logging()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per run; errors still show
    require_sound_configuration(ctx)
    scheduler = build_scheduler(runtime(ctx), blocking=True)

    def stop(signum: int, _frame: FrameType | None) -> None:
        if scheduler.running:
            log.info("received %s: finishing running jobs, then stopping", signal.Signals(signum).name)
            scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker started: jobs %s", ", ".join(job.id for job in scheduler.get_jobs()))
    scheduler.start()
    log.info("worker stopped")


def register(group: click.Group) -> None:
    group.add_command(sla)
    group.add_command(worker)
