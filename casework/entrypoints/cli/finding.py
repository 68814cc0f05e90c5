"""`casework search QUERY --as USER`: the same search as /search, one consultation event per listing."""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from casework.access import users as user_service
from casework.cases.search import search
from casework.clock import london
from casework.entrypoints.cli.base import runtime


@click.command("search")
@click.argument("query")
@click.option("--as", "username", required=True, help="Search as this user (their forces only).")
@click.pass_context
def search_command(ctx: click.Context, query: str, username: str) -> None:
    """Find cases: a reference (e.g. wk-2026-13) names its case; words list ranked matches."""
    cw = runtime(ctx)
    result = search(cw, user_service.actor_for(cw, username), query, via="cli")
    console = Console()
    if result.jump:
        console.print(f"{result.jump}  (reference: casework cases show {result.jump} --as {username})")
        return
    if not result.hits:
        console.print("no case of your forces matches")
        return
    table = Table("reference", "state", "author", "detected", "matched text")
    for hit in result.hits:
        snippet = "".join(f"[bold]{escape(t)}[/bold]" if matched else escape(t) for t, matched in hit.snippet)
        author = escape(hit.author_handle) if hit.author_handle is not None else "[redacted]"
        table.add_row(hit.reference, hit.state, author, london(hit.detected_at).strftime("%Y-%m-%d"), snippet)
    console.print(table)
    if result.more:
        console.print("more cases match: add words to narrow the search")


def register(group: click.Group) -> None:
    group.add_command(search_command)
