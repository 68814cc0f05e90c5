"""chain_pending: PostgreSQL writers append events here, and one linker chains them right after the commit

Every PostgreSQL writer used to lock the chain head from its last statement through its commit, so
writers queued on that row. They now insert their events here, unnumbered, and `chain.link_pending`
numbers, hashes and moves them into case_events in id order, one linker at a time (an advisory
lock it only tries). SQLite, one writer at a time, still links inside the writer's transaction.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from casework.storage.db import UTCDateTime

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chain_pending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("from_state", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("to_state", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("data_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Only once every queued event is linked (by any writer, or the `audit.link` job): they would be lost."""
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM chain_pending")).scalar():
        raise RuntimeError("chain_pending still holds events: link them before downgrading")
    op.drop_table("chain_pending")
