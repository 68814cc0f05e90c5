"""Shared CLI plumbing: the runtime for a command, and domain errors mapped to exit codes in one place."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.exc import DBAPIError

from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.errors import CaseworkError, DatabaseUnavailable
from casework.runtime import Casework
from casework.storage.db import missing_sqlite_file
from casework.storage.faults import UNUSABLE_URL, configuration_fault, database_fault


class CaseworkGroup(click.Group):
    """Turns domain, configuration and database errors into one clear sentence and an exit code.

    A driver error that is not a fault of the database (a bug) keeps its traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            try:
                return super().invoke(ctx)
            except DBAPIError as exc:
                fault = database_fault(exc)
                if fault is None:
                    raise
                raise fault from exc
        except CaseworkError as exc:
            click.echo(f"error: {exc.message}", err=True)
            for field, problem in exc.details.get("errors", {}).items():
                click.echo(f"  {field}: {problem}", err=True)
            if allowed := exc.details.get("allowed"):
                click.echo(f"  allowed now: {', '.join(allowed)}", err=True)
            ctx.exit(exc.exit_code)


def runtime(ctx: click.Context, create: bool = False) -> Casework:
    """Build (once per command) the core wired to the chosen database.

    Only `create=True` (init, restore) may bring a new SQLite file into being: any other command
    on a path with no database says so, instead of leaving an empty file behind.
    """
    root = ctx.find_root()
    if "casework" not in root.obj:
        overrides = {"database_url": root.obj["database_url"]} if root.obj.get("database_url") else {}
        settings = Settings.from_env(**overrides)
        if not create:
            _refuse_missing_sqlite_file(settings.database_url)
        try:
            root.obj["casework"] = bootstrap(settings)
        except UNUSABLE_URL as exc:
            raise configuration_fault(settings.database_url) from exc
        root.call_on_close(root.obj["casework"].engine.dispose)
    cw: Casework = root.obj["casework"]
    return cw


def _refuse_missing_sqlite_file(url: str) -> None:
    if path := missing_sqlite_file(url):
        raise DatabaseUnavailable(
            f"no database at {path}: run `casework init` (or `casework restore FILE`) first",
            cause="missing",
        )


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
