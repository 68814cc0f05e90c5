"""tallies: cases by force, state and outcome; SLA clock runs by force, clock, day and status

Filled from the existing rows, so an upgraded database starts right. Also the partial index of
running clock runs without a recorded breach (force, name, due_at) the dashboard counts live work on, and the
audit log's (actor, seq) and (action, seq), which its user and action filters page on.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-01
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from casework.cases import tallies

revision: str = "0015"
down_revision: Union[str, Sequence[str], None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    case_tallies = op.create_table(
        "case_tallies",
        sa.Column("force", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("force", "state", "outcome"),
    )
    clock_tallies = op.create_table(
        "clock_tallies",
        sa.Column("force", sa.String(length=40), nullable=False),
        sa.Column("clock", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("clocks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("force", "clock", "status", "day"),
    )
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sla_clocks_running",
            ["force", "name", "due_at"],
            sqlite_where=sa.text("stopped_at IS NULL AND breached_at IS NULL"),
            postgresql_where=sa.text("stopped_at IS NULL AND breached_at IS NULL"),
        )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index("ix_case_events_actor_seq", ["actor", "seq"])
        batch_op.create_index("ix_case_events_action_seq", ["action", "seq"])
    # Filled into the tables as created here (the models' tallies have a slot since 0019).
    cases, clocks = tallies.recount(op.get_bind())
    for table, rows in ((case_tallies, cases), (clock_tallies, clocks)):
        if rows:
            op.bulk_insert(table, rows)


def downgrade() -> None:
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_case_events_action_seq")
        batch_op.drop_index("ix_case_events_actor_seq")
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_clocks_running")
    op.drop_table("clock_tallies")
    op.drop_table("case_tallies")
