"""Evidence from the command line: `evidence add|list|package|verify`."""

from __future__ import annotations

from pathlib import Path

import click

from casework.access import users as user_service
from casework.clock import london
from casework.config import Settings
from casework.entrypoints.cli.base import runtime
from casework.evidence import attachments, keys, package
from casework.evidence.verify import verify_package


@click.group()
def evidence() -> None:
    """Attachments and signed evidence packages."""


@evidence.command("add")
@click.argument("reference")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--as", "username", required=True, help="Who produces the exhibit.")
@click.option("--description", default="", help="What it shows and where it came from.")
@click.pass_context
def add(ctx: click.Context, reference: str, file: str, username: str, description: str) -> None:
    """Attach FILE to a case (PNG, JPEG, WebP, GIF, PDF or MP4, typed from its content)."""
    cw = runtime(ctx)
    actor = user_service.actor_for(cw, username)
    with open(file, "rb") as stream:
        item = attachments.add_attachment(
            cw, actor, reference, stream, filename=Path(file).name, description=description, via="cli"
        )
    click.echo(f"exhibit {item.exhibit} on {reference}: {item.media_type}, {item.size} bytes, sha256 {item.sha256}")


@evidence.command("list")
@click.argument("reference")
@click.option("--as", "username", required=True)
@click.pass_context
def list_(ctx: click.Context, reference: str, username: str) -> None:
    """The exhibits of a case: reference, producer, time, SHA-256, description."""
    from casework.audit import disclosure

    cw = runtime(ctx)
    actor = user_service.actor_for(cw, username)
    case, items = attachments.list_attachments(cw, actor, reference)
    disclosure.log_view(cw, actor, case, "cli")
    for item in items:
        state = "redacted" if item.redacted_at else item.media_type
        when = london(item.added_at).strftime("%Y-%m-%d %H:%M %Z")
        click.echo(f"{item.exhibit}\t{item.producer}\t{when}\t{item.sha256}\t{state}\t{item.description}")


@evidence.command("package")
@click.argument("reference")
@click.option("--as", "username", required=True, help="The auditor or Crime Bureau member making it.")
@click.option("--to", "recipient", required=True, help="Who receives it (logged as a disclosure).")
@click.option("--purpose", required=True, help="Why it is disclosed (logged).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="The ZIP to write.")
@click.pass_context
def make(ctx: click.Context, reference: str, username: str, recipient: str, purpose: str, out: str) -> None:
    """One signed ZIP: history (JSON, HTML), the comment, every exhibit, the exhibit list and a manifest."""
    cw = runtime(ctx)
    actor = user_service.actor_for(cw, username)
    target = Path(out)
    partial = target.with_name(target.name + ".part")
    try:
        with open(partial, "wb") as stream:
            made = package.make_package(cw, actor, reference, recipient, purpose, stream)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"{out}: {len(made.files)} files signed; key {keys.fingerprint(made.public_key)}")


@evidence.command("verify")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--key", "public_key", help="The producer's public key (base64), as `--show-key` printed it.")
@click.option("--show-key", is_flag=True, help="Print this instance's public key and exit.")
def verify(file: str | None, public_key: str | None, show_key: bool) -> None:
    """Prove offline that nothing in an evidence package changed: exit 0 if every file matches, else 1."""
    settings = Settings.from_env()
    if show_key:
        public = keys.public_text(keys.load_key(settings.evidence_key_file).public_key())
        click.echo(f"{public}\nfingerprint {keys.fingerprint(public)}")
        return
    if file is None:
        raise click.UsageError("give the package FILE (or --show-key)")
    if public_key is None and Path(settings.evidence_key_file).exists():
        public_key = keys.public_text(keys.load_key(settings.evidence_key_file).public_key())
    check = verify_package(file, public_key)
    for problem in check.problems:
        click.echo(problem)
    fingerprint = keys.fingerprint(check.public_key) if check.public_key else "none"
    if check.ok:
        click.echo(
            f"{file}: all {check.files} files match the manifest signed by key {fingerprint} ({check.key_source})"
        )
        if check.key_source == "in the package":
            click.echo("compare that fingerprint with the one the producer gave you (`evidence verify --show-key`)")
        return
    raise SystemExit(1)


def register(main: click.Group) -> None:
    main.add_command(evidence)
