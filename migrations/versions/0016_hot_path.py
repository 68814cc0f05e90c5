"""notify: a version of who can hear of changes, bumped by the database itself

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-01

The outbox keeps the active staff, their preferences and the webhook endpoints in memory and reads
only `recipients_version` per action. Triggers bump the version in the writing transaction on every
change to `users`, `notification_preferences` and `webhook_endpoints`, whichever process or tool makes
it, so every worker sees the change at its next action. The bump is an upsert, so an emptied table
starts again.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = ("users", "notification_preferences", "webhook_endpoints")
_BUMP = ("INSERT INTO recipients_version (id, version) VALUES (1, 1) "
         "ON CONFLICT (id) DO UPDATE SET version = recipients_version.version + 1")


def upgrade() -> None:
    op.create_table('recipients_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute("INSERT INTO recipients_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            for when in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_recipients_{when.lower()} AFTER {when} ON {table} "
                           f"BEGIN {_BUMP}; END")
        return
    op.execute(f"""CREATE FUNCTION casework_bump_recipients_version() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN {_BUMP}; RETURN NULL; END $$""")
    for table in WATCHED:
        op.execute(f"CREATE TRIGGER {table}_recipients AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION casework_bump_recipients_version()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            for when in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_recipients_{when}")
    else:
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_recipients ON {table}")
        op.execute("DROP FUNCTION IF EXISTS casework_bump_recipients_version()")
    op.drop_table('recipients_version')
