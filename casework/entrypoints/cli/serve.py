"""`casework serve`: the web app on a production-capable WSGI server (waitress), on a database `init` made."""

from __future__ import annotations

from dataclasses import replace

import click

from casework.access.secret_key import check_secret_key, write_instance_secret
from casework.entrypoints.cli.base import runtime
from casework.entrypoints.cli.config import require_sound_configuration
from casework.errors import DatabaseUnavailable
from casework.logs import configure_logging
from casework.runtime import Casework
from casework.storage.schema import has_schema, migrate


def _demo_logins(cw: Casework) -> list[str]:
    """The demo accounts present in this database, with their roles, for the person starting the demo."""
    from casework.access.users import list_users
    from casework.entrypoints.demo import DEMO_PASSWORD, demo_usernames

    present = {u.username: u for u in list_users(cw)}
    found = [present[n] for n in demo_usernames(cw) if n in present]
    if not found:
        return []
    return [f"demo logins, password {DEMO_PASSWORD!r}:"] + [
        f"  {u.username:<12} {', '.join(u.roles)} ({', '.join(u.forces)})" for u in found
    ]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.option("--no-scheduler", is_flag=True, help="Do not embed the scheduler (run `casework worker` instead).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int, no_scheduler: bool) -> None:
    """Serve the web app with the scheduler embedded; the database's schema is upgraded first.

    A missing database, or one with no casework schema, is refused (only `init` and `restore` create
    one), so a mistyped URL cannot bring an empty instance into being.
    """
    import waitress

    from casework.entrypoints.scheduler import start_embedded, stop_embedded
    from web import create_app, freeze_start_up

    configure_logging()
    require_sound_configuration(ctx)
    cw = runtime(ctx)
    if not has_schema(cw.engine):  # an empty file or database: upgrading it would make an empty instance
        raise DatabaseUnavailable("the database has no casework schema (run `casework init`)", cause="no schema")
    migrate(cw.engine)
    if not cw.settings.secret_key:  # no key yet (a database restored or made elsewhere): as `init` would
        cw.settings = replace(cw.settings, secret_key=write_instance_secret(cw.settings.instance_path)[0])
    check_secret_key(cw.settings)
    app = create_app({"CASEWORK": cw})
    for line in _demo_logins(cw):
        click.echo(line)
    scheduler = None if no_scheduler else start_embedded(cw)
    click.echo(f"scheduler: {'embedded (SLA sweep, notification dispatch)' if scheduler else 'not running here'}")
    click.echo(f"casework is serving on http://{host}:{port}/ (Ctrl+C to stop)")
    freeze_start_up()
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="casework")
    finally:
        stop_embedded()


def register(group: click.Group) -> None:
    group.add_command(serve)
