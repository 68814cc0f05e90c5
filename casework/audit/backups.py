"""`backup` and `restore`: a checked copy of the database with a signed checkpoint beside it, and the
restore that refuses to overwrite anything and then proves the copy against that checkpoint.

The checkpoint is taken (and recorded in the live chain) just before the copy, so the copy holds every
event it names: a restored copy that is older than its checkpoint, or altered, fails the proof.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from casework.audit import checkpoints
from casework.errors import ValidationError
from casework.storage import backup as copies

if TYPE_CHECKING:
    from casework.runtime import Casework


@dataclass(frozen=True)
class BackupReport:
    file: Path
    checkpoint: Path
    events: int
    seconds: float


def checkpoint_beside(file: Path) -> Path:
    return file.with_name(file.name + ".checkpoint.json")


def backup(cw: Casework, file: Path, key: bytes) -> BackupReport:
    """Sign a checkpoint of the chain, copy the database to `file` and check the copy."""
    if file.exists():
        raise ValidationError({"file": f"{file} exists already: back up to a new file"})
    if not file.parent.is_dir():
        raise ValidationError({"file": f"{file.parent} is not a folder"})
    started = time.monotonic()
    document = checkpoints.make_checkpoint(cw, key, created_by="system:backup")
    live = copies.sqlite_path(cw.engine)
    if live is not None:
        copies.copy_sqlite(live, file)
    else:
        copies.dump_postgres(cw.engine.url, file)
    beside = checkpoint_beside(file)
    beside.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return BackupReport(file, beside, document["event_count"], time.monotonic() - started)


def restore(cw: Casework, file: Path, key: bytes, checkpoint: Path | None = None) -> checkpoints.CheckpointCheck:
    """Restore `file` into an empty database, then verify the chain against the checkpoint beside it."""
    checkpoint = checkpoint or checkpoint_beside(file)
    if not file.is_file():
        raise ValidationError({"file": f"no backup at {file}"})
    if not checkpoint.is_file():
        raise ValidationError(
            {"checkpoint": f"no checkpoint at {checkpoint}: restore needs the one made with the backup"}
        )
    raw = checkpoint.read_bytes()
    if not copies.is_empty(cw.engine):
        raise ValidationError({"target": "the database is not empty: restore only into a new, empty database"})
    cw.engine.dispose()
    target = copies.sqlite_path(cw.engine)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            copies.copy_sqlite(file, target)
        except sqlite3.DatabaseError as exc:
            target.unlink(missing_ok=True)
            raise copies.BackupFailed(f"{file} is not a SQLite backup ({exc})") from exc
    else:
        copies.restore_postgres(file, cw.engine.url)
    cw.engine.dispose()
    return checkpoints.verify_checkpoint(cw, raw, key)
