"""Auditing from the command line: `audit export`, `audit checkpoint`, `retention run|hold|release`."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import date
from typing import BinaryIO

import click

from casework.access import users as user_service
from casework.audit import checkpoints, exports, retention
from casework.entrypoints.cli.base import runtime
from casework.errors import ValidationError
from casework.evidence import redaction
from casework.storage import chain


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: f"{value!r} is not a date (YYYY-MM-DD)"}) from None


def _output(path: str | None) -> contextlib.AbstractContextManager[BinaryIO]:
    if path is None:
        return contextlib.nullcontext(sys.stdout.buffer)
    try:
        return open(path, "wb")
    except OSError as exc:
        raise click.FileError(path, exc.strerror) from None


@click.command("export")
@click.option("--case", "reference", help="One case's full history.")
@click.option("--force", help="All cases of this force detected in the period.")
@click.option("--from", "first", metavar="DATE", help="First day of the period (YYYY-MM-DD, Europe/London).")
@click.option("--to", "last", metavar="DATE", help="Last day of the period (inclusive).")
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), default="json", show_default=True)
@click.option("--recipient", required=True, help="Who receives the export (logged).")
@click.option("--purpose", required=True, help="Why it is disclosed (logged).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write to FILE (default: stdout).")
@click.option("--as", "username", required=True, help="The exporting auditor.")
@click.pass_context
def audit_export(
    ctx: click.Context,
    reference: str | None,
    force: str | None,
    first: str | None,
    last: str | None,
    fmt: str,
    recipient: str,
    purpose: str,
    out: str | None,
    username: str,
) -> None:
    """Export a case or a period as JSON or CSV; the export is logged as a disclosure first."""
    cw = runtime(ctx)
    actor = user_service.actor_for(cw, username)
    with _output(out) as stream:  # an unwritable file is refused before anything is logged
        if reference and not (force or first or last):
            export = exports.export_case(cw, actor, reference, fmt, recipient, purpose)
        elif force and first and last and not reference:
            export = exports.export_period(
                cw, actor, force, _date(first, "from"), _date(last, "to"), fmt, recipient, purpose
            )
        else:
            raise click.UsageError("give either --case REF, or --force F --from DATE --to DATE")
        for chunk in export.chunks():
            stream.write(chunk)
    if out:
        click.echo(f"exported {export.cases} case(s) to {out} for {recipient}", err=True)


@click.command("checkpoint")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write to FILE (default: stdout).")
@click.option("--as", "username", help="The auditor taking it (default: system:cli).")
@click.pass_context
def audit_checkpoint(ctx: click.Context, out: str | None, username: str | None) -> None:
    """Sign the chain head (HMAC-SHA256, key from CASEWORK_CHECKPOINT_KEY); keep the file outside the system."""
    cw = runtime(ctx)
    key = checkpoints.checkpoint_key()
    who = user_service.actor_for(cw, username).username if username else "system:cli"
    document = checkpoints.make_checkpoint(cw, key, who)
    with _output(out) as stream:
        stream.write(chain.canonical(document) + b"\n")
    click.echo(f"checkpoint: {document['event_count']} events, head {document['hash']}", err=True)


@click.group("retention")
def retention_group() -> None:
    """Retention of personal data (MoPI review dates, legal holds)."""


@retention_group.command("run")
@click.pass_context
def retention_run(ctx: click.Context) -> None:
    """Redact the personal data of closed cases past their review date and not on legal hold."""
    report = retention.run_retention(runtime(ctx))
    click.echo(
        f"redacted {len(report.redacted)} case(s)" + (f": {', '.join(report.redacted)}" if report.redacted else "")
    )
    exhibits = redaction.redact_due(runtime(ctx))
    if exhibits:
        click.echo(f"exhibits redacted on: {', '.join(exhibits)}")
    if report.held:
        click.echo(f"kept on legal hold: {', '.join(report.held)}")


def _hold(hold: bool) -> Callable[..., None]:
    @click.argument("reference")
    @click.option("--reason", required=True, help="Why (recorded on the case's history).")
    @click.option("--as", "username", required=True, help="The supervisor.")
    @click.pass_context
    def command(ctx: click.Context, reference: str, reason: str, username: str) -> None:
        cw = runtime(ctx)
        retention.set_legal_hold(cw, user_service.actor_for(cw, username), reference, hold, reason)
        click.echo(f"{reference}: legal hold {'set' if hold else 'lifted'}")

    command.__doc__ = "Put a case on legal hold (its personal data is kept)." if hold else "Lift a legal hold."
    return command


retention_group.command("hold")(_hold(True))
retention_group.command("release")(_hold(False))


def register(group: click.Group) -> None:
    audit = group.commands["audit"]  # the group `records` registers first
    assert isinstance(audit, click.Group)
    audit.add_command(audit_export)
    audit.add_command(audit_checkpoint)
    group.add_command(retention_group)
