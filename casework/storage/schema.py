"""Bring a database to the newest schema with Alembic; `casework init` and the tests call this."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Apply every migration not yet applied (all heads)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


@cache
def _shipped_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def has_schema(engine: Engine) -> bool:
    """Whether `init` (or a restore) has ever migrated this database: an empty one has no revision."""
    return inspect(engine).has_table("alembic_version")


def schema_is_current(engine: Engine) -> bool:
    """Whether the database is at every head of the migrations shipped with this code."""
    heads = _shipped_heads()
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads
