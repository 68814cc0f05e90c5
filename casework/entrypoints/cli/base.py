"""Shared CLI plumbing: the runtime for a command, and domain errors mapped to exit codes in one place."""

from __future__ import annotations

from typing import Any

import click

from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.errors import CaseworkError
from casework.runtime import Casework


class CaseworkGroup(click.Group):
    """Turns domain errors into a clear message on stderr and the error's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CaseworkError as exc:
            click.echo(f"error: {exc.message}", err=True)
            for field, problem in exc.details.get("errors", {}).items():
                click.echo(f"  {field}: {problem}", err=True)
            if allowed := exc.details.get("allowed"):
                click.echo(f"  allowed now: {', '.join(allowed)}", err=True)
            ctx.exit(exc.exit_code)


def runtime(ctx: click.Context) -> Casework:
    """Build (once per command) the core wired to the chosen database."""
    root = ctx.find_root()
    if "casework" not in root.obj:
        overrides = {"database_url": root.obj["database_url"]} if root.obj.get("database_url") else {}
        root.obj["casework"] = bootstrap(Settings.from_env(**overrides))
        root.call_on_close(root.obj["casework"].engine.dispose)
    cw: Casework = root.obj["casework"]
    return cw


def parse_sets(pairs: tuple[str, ...]) -> dict[str, Any]:
    """`--set key=value` pairs; a repeated key becomes a list."""
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--set")
        key = key.strip()
        if key in values:
            previous = values[key]
            values[key] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            values[key] = value
    return values
