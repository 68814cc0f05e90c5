"""`casework config check`: every configuration problem listed at once (exit 3), before anything runs."""

from __future__ import annotations

import click

from casework.entrypoints.config_check import configuration_problems


@click.group("config")
def config() -> None:
    """Configuration: the forces file, SLA and retention rules, e-mail, channels, schedules."""


@config.command("check")
@click.pass_context
def config_check(ctx: click.Context) -> None:
    """Check every setting; list each problem and exit 3 if there is any."""
    problems = configuration_problems(database_url=ctx.find_root().obj.get("database_url"))
    if not problems:
        click.echo("configuration ok")
        return
    click.echo(f"{len(problems)} configuration problem(s):", err=True)
    for where, problem in sorted(problems.items()):
        click.echo(f"  {where}: {problem}", err=True)
    ctx.exit(3)


def require_sound_configuration(ctx: click.Context) -> None:
    """At start-up of long-running commands: refuse to start on any problem, listing them all."""
    problems = configuration_problems(database_url=ctx.find_root().obj.get("database_url"))
    if problems:
        click.echo(f"error: not starting: {len(problems)} configuration problem(s):", err=True)
        for where, problem in sorted(problems.items()):
            click.echo(f"  {where}: {problem}", err=True)
        click.echo("  (run `casework config check` after fixing them)", err=True)
        ctx.exit(3)


def register(group: click.Group) -> None:
    group.add_command(config)
