"""sla_clocks: no index on started_at

It served compliance over a period, which the dashboard reads from the clock tallies (migration 0015)
and nothing else asks for; every intake wrote three entries into it and every step that starts a clock
one more.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_sla_clocks_started", table_name="sla_clocks")


def downgrade() -> None:
    op.create_index("ix_sla_clocks_started", "sla_clocks", ["started_at"])
