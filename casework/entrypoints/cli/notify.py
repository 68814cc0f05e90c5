"""Notifications from the command line: `notifications dispatch|list|retry|prefer`, `webhooks ...`."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from casework.cases.queries import users_by_id
from casework.clock import LONDON, london
from casework.entrypoints.cli.base import runtime
from casework.notify import endpoints as notify_endpoints
from casework.notify import inbox as notify_inbox
from casework.notify import preferences as notify_preferences
from casework.notify.outbox import KINDS


def _when(value: datetime | None) -> str:
    return london(value).strftime("%Y-%m-%d %H:%M %Z") if value else "-"


@click.group()
def notifications() -> None:
    """The outbox: e-mail, webhook and inbox notifications."""


@notifications.command("dispatch")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.pass_context
def dispatch(ctx: click.Context, limit: int) -> None:
    """Deliver due notifications once (the scheduler does this every few seconds)."""
    from notifications.dispatch import dispatch_pending

    report = dispatch_pending(runtime(ctx), limit=limit)
    click.echo(str(report))
    for error in report.errors:
        click.echo(f"  {error}", err=True)


@notifications.command("list")
@click.option("--failed", is_flag=True, help="Only failed (retrying) and dead notifications.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.pass_context
def list_(ctx: click.Context, failed: bool, limit: int) -> None:
    """List outgoing e-mail and webhook notifications, newest first."""
    cw = runtime(ctx)
    found = notify_inbox.outbox_rows(cw, undelivered=failed, limit=limit)
    names = users_by_id(cw, (n.recipient_id for n in found))
    table = Table("id", "case", "kind", "channel", "to", "status", "attempts", "next try", "last error")
    for n in found:
        to = names[n.recipient_id].username if n.recipient_id in names else f"endpoint {n.endpoint_id}"
        table.add_row(
            str(n.id),
            n.payload.get("reference", "?"),
            n.kind,
            n.channel,
            escape(to),
            n.status,
            str(n.attempts),
            _when(n.next_attempt_at) if n.status in ("pending", "failed") else "-",
            escape(n.last_error or ""),
        )
    Console(width=200).print(table)
    if not found:
        click.echo("no failed notifications" if failed else "no notifications")


@notifications.command("retry")
@click.argument("notification_id", type=int, required=False)
@click.option("--all-dead", is_flag=True, help="Every dead letter (narrow with --kind and --since).")
@click.option("--kind", type=click.Choice(KINDS), help="With --all-dead: only this kind.")
@click.option("--since", metavar="WHEN", help="With --all-dead: only those created since (ISO date or time, UK time).")
@click.pass_context
def retry(ctx: click.Context, notification_id: int | None, all_dead: bool, kind: str | None, since: str | None) -> None:
    """Send a failed or dead notification again, or --all-dead of them (same Message-ID / delivery id)."""
    if all_dead == (notification_id is not None):
        raise click.UsageError("give a NOTIFICATION_ID or --all-dead, not both")
    if (kind or since) and not all_dead:
        raise click.UsageError("--kind and --since go with --all-dead")
    if all_dead:
        count = notify_inbox.retry_dead(runtime(ctx), by="system:cli", kind=kind, since=_since(since))
        click.echo(f"{count} dead notification{'s' if count != 1 else ''} queued again")
        return
    assert notification_id is not None  # checked above
    row = notify_inbox.retry(runtime(ctx), notification_id, by="system:cli")
    click.echo(f"notification {row.id} queued again ({row.kind}, {row.channel})")


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date or time", param_hint="--since") from None
    return when if when.tzinfo else when.replace(tzinfo=LONDON)


@notifications.command("prefer")
@click.argument("username")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--email/--no-email", default=True, show_default=True)
@click.option("--inbox/--no-inbox", default=True, show_default=True)
@click.option("--quiet", metavar="HH:MM-HH:MM", help="Quiet hours (UK time) that hold back warning e-mails.")
@click.pass_context
def prefer(ctx: click.Context, username: str, kind: str, email: bool, inbox: bool, quiet: str | None) -> None:
    """Choose a user's channels for one kind (breaches and threat-to-life escalations always go out)."""
    notify_preferences.set_preference(runtime(ctx), username, kind, email=email, inbox=inbox, quiet=quiet)
    click.echo(
        f"{username} {kind}: e-mail {'on' if email else 'off'}, inbox {'on' if inbox else 'off'}"
        + (f", quiet {quiet}" if quiet else "")
    )


@click.group()
def webhooks() -> None:
    """Team webhook endpoints (signed JSON POSTs)."""


@webhooks.command("add")
@click.option("--force", required=True, help="Force code.")
@click.option("--team", required=True, type=click.Choice(notify_endpoints.TEAMS), help="The role whose news it gets.")
@click.option("--url", required=True, help="http(s) URL that receives the POSTs.")
@click.option("--secret-stdin", is_flag=True, help="Read the signing secret from stdin (else one is generated).")
@click.pass_context
def webhooks_add(ctx: click.Context, force: str, team: str, url: str, secret_stdin: bool) -> None:
    """Register an endpoint; the secret signs every body (X-Casework-Signature)."""
    secret = sys.stdin.readline().strip() if secret_stdin else None
    endpoint = notify_endpoints.add_webhook(runtime(ctx), force, team, url, secret)
    click.echo(f"webhook {endpoint.id}: {force}/{team} -> {url}")
    if not secret_stdin:
        click.echo(f"signing secret (shown once): {endpoint.secret}")


@webhooks.command("list")
@click.pass_context
def webhooks_list(ctx: click.Context) -> None:
    """List endpoints (secrets are not shown)."""
    table = Table("id", "force", "team", "url", "active")
    for e in notify_endpoints.list_webhooks(runtime(ctx)):
        table.add_row(str(e.id), e.force, e.team, escape(e.url), "yes" if e.active else "no")
    Console(width=200).print(table)


@webhooks.command("disable")
@click.argument("endpoint_id", type=int)
@click.pass_context
def webhooks_disable(ctx: click.Context, endpoint_id: int) -> None:
    """Stop sending to an endpoint; what is queued for it becomes a dead letter."""
    changed = notify_endpoints.set_webhook_active(runtime(ctx), endpoint_id, False)
    click.echo(f"webhook {endpoint_id} {'disabled' if changed else 'was already disabled'}")


@webhooks.command("enable")
@click.argument("endpoint_id", type=int)
@click.pass_context
def webhooks_enable(ctx: click.Context, endpoint_id: int) -> None:
    """Send new notifications to an endpoint again."""
    changed = notify_endpoints.set_webhook_active(runtime(ctx), endpoint_id, True)
    click.echo(f"webhook {endpoint_id} {'enabled' if changed else 'was already enabled'}")


def register(group: click.Group) -> None:
    for command in (notifications, webhooks):
        group.add_command(command)
