"""notify: the recipients version becomes a random stamp, so a restored history cannot repeat a cached one

Every process keeps its snapshot of staff, preferences and endpoints until `recipients_version` moves.
As a counter it could come back to a number a process had cached: a database restored from a backup
starts again from the backup's number, and its next change makes the number that a running process
cached from the history the restore undid, with other rows behind it. Each change now stores a new
random 128-bit stamp instead, so two different states never share one (and no bump can repeat the last).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = ("users", "notification_preferences", "webhook_endpoints")
_SQLITE_TRIGGERS = [(f"{table}_recipients_{when.lower()}", table, when)
                    for table in WATCHED for when in ("INSERT", "UPDATE", "DELETE")]  # (name, table, event)
STAMP = {"sqlite": "lower(hex(randomblob(16)))", "postgresql": "gen_random_uuid()::text"}
_BUMP = ("INSERT INTO recipients_version (id, version) VALUES (1, {stamp}) "
         "ON CONFLICT (id) DO UPDATE SET version = excluded.version")
_COUNT = ("INSERT INTO recipients_version (id, version) VALUES (1, 1) "
          "ON CONFLICT (id) DO UPDATE SET version = recipients_version.version + 1")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_sqlite_triggers()  # SQLite refuses to rebuild a table that triggers name
    with op.batch_alter_table("recipients_version") as batch_op:
        batch_op.alter_column("version", type_=sa.String(length=36), existing_type=sa.Integer(),
                              postgresql_using="version::text")
    op.execute(f"UPDATE recipients_version SET version = {STAMP[dialect]}")
    _bump_with(_BUMP.format(stamp=STAMP[dialect]))


def downgrade() -> None:
    _drop_sqlite_triggers()
    op.execute("UPDATE recipients_version SET version = '0'")
    with op.batch_alter_table("recipients_version") as batch_op:
        batch_op.alter_column("version", type_=sa.Integer(), existing_type=sa.String(length=36),
                              postgresql_using="version::integer")
    _bump_with(_COUNT)


def _drop_sqlite_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, _, _ in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")


def _bump_with(bump: str) -> None:
    """Have every change to the watched tables run `bump` (the triggers of migration 0016, remade)."""
    if op.get_bind().dialect.name == "sqlite":
        for name, table, when in _SQLITE_TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} AFTER {when} ON {table} BEGIN {bump}; END")
        return
    op.execute(f"""CREATE OR REPLACE FUNCTION casework_bump_recipients_version() RETURNS trigger
                   LANGUAGE plpgsql AS $$ BEGIN {bump}; RETURN NULL; END $$""")
