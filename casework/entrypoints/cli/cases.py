"""Working cases: `flag`, `cases list|show|history|assign|comment|link`, `transition`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import IO

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from casework.access import users as user_service
from casework.access.actors import Actor
from casework.audit import disclosure
from casework.cases import actions, listing, queries
from casework.clock import london
from casework.entrypoints.cli.base import parse_sets, runtime
from casework.errors import ValidationError
from casework.intake import flags as intake
from casework.runtime import Casework
from workflows.a017 import PLATFORMS


def _when(value: datetime | None) -> str:
    return london(value).strftime("%Y-%m-%d %H:%M %Z") if value else "-"


def _acting(ctx: click.Context, username: str | None) -> tuple[Casework, Actor]:
    cw = runtime(ctx)
    return cw, (user_service.actor_for(cw, username) if username else Actor.system("cli", cw.settings.forces))


def _read_text(text: str | None, text_file: IO[bytes] | None) -> str | None:
    if text_file is None:
        return text
    raw = text_file.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError({"text": f"the file is not UTF-8 (byte {exc.start})"}) from None


@click.command()
@click.option("--as", "username", required=True, help="The flagging user (a channel admin).")
@click.option("--force", required=True)
@click.option("--platform", required=True, type=click.Choice(PLATFORMS))
@click.option("--channel", required=True, help="The force account or page.")
@click.option("--external-id", required=True, help="The platform's id of the comment.")
@click.option("--url", "permalink", required=True, help="Permalink to the comment.")
@click.option("--text", help="The comment text.")
@click.option("--text-file", type=click.File("rb"), help="Read the comment text from a file ('-' for stdin).")
@click.option("--reason", required=True, help="Why it is flagged.")
@click.option("--author", "author_handle")
@click.option("--author-name")
@click.option("--author-id")
@click.option("--posted-at", help="ISO 8601 time with offset.")
@click.pass_context
def flag(
    ctx: click.Context, /, username: str, text: str | None, text_file: IO[bytes] | None, **fields: str | None
) -> None:
    """Flag a comment: opens a case, or records a re-flag on the case that has it."""
    cw, actor = _acting(ctx, username)
    fields = {k: v for k, v in fields.items() if v is not None}
    result = intake.flag_comment(cw, actor, {**fields, "text": _read_text(text, text_file)})
    verb = "opened" if result.created else "re-flagged existing case"
    click.echo(f"{verb} {result.case.reference} ({result.case.state})")


@click.group()
def cases() -> None:
    """Read and work cases."""


@cases.command("list")
@click.option("--state", "states", multiple=True, help="Only this state (repeatable).")
@click.option("--force", "forces", multiple=True, help="Only this force (repeatable).")
@click.option("--as", "username", help="List as this user (default: all forces).")
@click.option("--after", default="", help="The cursor a previous page printed: the page after it.")
@click.option("--per-page", default=50, show_default=True, type=click.IntRange(1, listing.MAX_PER_PAGE))
@click.pass_context
def cases_list(
    ctx: click.Context,
    states: tuple[str, ...],
    forces: tuple[str, ...],
    username: str | None,
    after: str,
    per_page: int,
) -> None:
    """List cases, oldest detected first, a page at a time (no count: a page costs the same however many match)."""
    cw, actor = _acting(ctx, username)
    args = {"state": list(states), "force": list(forces), "sort": ["detected"], "per_page": [str(per_page)]}
    page = listing.list_cases(cw, actor, listing.parse_query(cw, {**args, "after": [after]}), via="cli")
    table = Table("reference", "state", "force", "platform", "author", "detected", "assignee")
    for row in page.rows:
        table.add_row(
            row.reference,
            row.state,
            row.force,
            row.platform,
            escape(row.author_handle or "-"),
            _when(row.detected_at),
            row.assignee or "-",
        )
    Console(width=160).print(table)
    if page.next_after:
        click.echo(f"next page: casework cases list ... --after {page.next_after}")


@cases.command("show")
@click.argument("reference")
@click.option("--as", "username", help="Show as this user.")
@click.pass_context
def cases_show(ctx: click.Context, reference: str, username: str | None) -> None:
    """Show a case: the evidence, its state, its outcomes and what can be done now."""
    cw, actor = _acting(ctx, username)
    detail = queries.get_case(cw, actor, reference)
    disclosure.log_view(cw, actor, detail.case, "cli")
    case, comment = detail.case, detail.comment
    lines = [
        f"{case.reference}  [{case.state}]  version {case.version}",
        f"force: {case.force}   platform: {case.platform}   channel: {case.channel}",
        f"comment: {case.external_id}  {case.permalink}",
        f"author: {comment.author_handle or '-'} ({comment.author_name or '-'})",
        f"posted: {_when(case.posted_at)}   detected: {_when(case.detected_at)} by {case.detected_by}",
        f"flagged because: {case.flag_reason}",
        f"evidence sha256: {case.evidence_digest}",
        f"assignee: {detail.assignee.username if detail.assignee else '-'}",
        f"outcome: {case.outcome or '-'}   threat to life: {'yes' if case.threat_to_life else 'no'}",
        "text:",
        *("  " + line for line in (comment.text or "[redacted]").splitlines()),
    ]
    for trigger, inputs in case.stage_inputs.items():
        lines.append(f"{trigger}: {json.dumps(inputs, ensure_ascii=False)}")
    if detail.author_cases:
        lines.append("author's other cases: " + ", ".join(c.reference for c in detail.author_cases))
    if not actor.is_system:
        allowed = [t.trigger for t in actions.available_transitions(cw, actor, case)]
        lines.append(f"you can now: {', '.join(allowed) or 'nothing'}")
    click.echo("\n".join(lines))


@cases.command("history")
@click.argument("reference")
@click.option("--as", "username", help="Read as this user.")
@click.pass_context
def cases_history(ctx: click.Context, reference: str, username: str | None) -> None:
    """The case's full timeline, oldest first."""
    cw, actor = _acting(ctx, username)
    history = queries.history(cw, actor, reference, limit=queries.HISTORY_PAGE)
    # the timeline as it was when read: not this view, nor what happened since
    newest = queries.last_seq(cw, history.case) if history.more else history.events[-1].seq
    disclosure.log_view(cw, actor, history.case, "cli")
    while True:  # a page at a time, so a case viewed thousands of times is never all in memory
        for event in (e for e in history.events if e.seq <= newest):
            move = f"{event.from_state or '-'} -> {event.to_state or '-'}"
            click.echo(
                f"{event.seq:>8}  {_when(event.at)}  {event.actor:<20} {event.role or '-':<14} "
                f"{event.action:<12} {move:<40} {json.dumps(event.data, ensure_ascii=False)}"
            )
        if not history.more or history.events[-1].seq >= newest:
            return
        history = queries.history(cw, actor, reference, after=history.events[-1].seq, limit=queries.HISTORY_PAGE)


@cases.command("assign")
@click.argument("reference")
@click.argument("assignee", required=False)
@click.option("--as", "username", required=True)
@click.option("--version", "expected_version", type=int, help="Refuse if the case changed since this version.")
@click.pass_context
def cases_assign(
    ctx: click.Context, reference: str, assignee: str | None, username: str, expected_version: int | None
) -> None:
    """Assign a case to a user of the stage's team (no ASSIGNEE: unassign)."""
    cw, actor = _acting(ctx, username)
    case = actions.assign(cw, actor, reference, assignee, expected_version)
    click.echo(f"{case.reference} assigned to {assignee or 'nobody'} (version {case.version})")


@cases.command("comment")
@click.argument("reference")
@click.argument("text")
@click.option("--as", "username", required=True)
@click.pass_context
def cases_comment(ctx: click.Context, reference: str, text: str, username: str) -> None:
    """Add an internal note to the case's timeline."""
    cw, actor = _acting(ctx, username)
    actions.add_comment(cw, actor, reference, text)
    click.echo(f"note added to {reference}")


@cases.command("link")
@click.argument("reference")
@click.argument("other")
@click.option("--as", "username", required=True)
@click.pass_context
def cases_link(ctx: click.Context, reference: str, other: str, username: str) -> None:
    """Link two cases of the same author (course of conduct)."""
    cw, actor = _acting(ctx, username)
    actions.link_cases(cw, actor, reference, other)
    click.echo(f"linked {reference} and {other}")


@click.command()
@click.argument("reference")
@click.argument("trigger")
@click.option("--as", "username", required=True, help="The acting user.")
@click.option(
    "--set",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="An input of the trigger (repeat a key, or use commas, for several values).",
)
@click.option("--version", "expected_version", type=int, help="Refuse if the case changed since this version.")
@click.pass_context
def transition(
    ctx: click.Context,
    reference: str,
    trigger: str,
    username: str,
    pairs: tuple[str, ...],
    expected_version: int | None,
) -> None:
    """Fire a workflow trigger on a case."""
    cw, actor = _acting(ctx, username)
    outcome = actions.apply_trigger(cw, actor, reference, trigger, parse_sets(pairs), expected_version)
    click.echo(f"{reference}: {outcome.source} -> {outcome.dest} (version {outcome.case.version})")


def register(group: click.Group) -> None:
    for command in (flag, cases, transition):
        group.add_command(command)
