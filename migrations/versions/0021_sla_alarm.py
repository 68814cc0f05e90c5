"""sla_clocks: one index the sweep reads, one of open runs, in place of four partial indexes

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02

Every intake starts several clock runs and most steps stop or start one, and each run had entries in four
partial indexes: pending warnings, pending breaches, open runs by deadline, and unbreached runs by force
and clock. A run's new `alarm_at` says when the sweep next has something to mark on it (the warning
time, then the deadline; none once both are marked or the run stopped), so one index on it holds all the
sweep looks for. The index of open runs by deadline now also carries force, clock and breach, so it
serves the dashboard's count of live work as well as the queues.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from casework.storage.db import UTCDateTime

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALARM = (
    "CASE WHEN stopped_at IS NOT NULL THEN NULL WHEN warned_at IS NULL THEN warn_at "
    "WHEN breached_at IS NULL THEN due_at END"
)
OPEN = "stopped_at IS NULL"
REPLACED = {  # name: (columns, where)
    "ix_sla_clocks_warning_pending": (["warn_at"], "warned_at IS NULL AND stopped_at IS NULL"),
    "ix_sla_clocks_breach_pending": (["due_at"], "breached_at IS NULL AND stopped_at IS NULL"),
    "ix_sla_clocks_running": (["force", "name", "due_at"], "stopped_at IS NULL AND breached_at IS NULL"),
    "ix_sla_clocks_open_due": (["due_at"], OPEN),
}


def _index(name: str, columns: list[str], where: str) -> None:
    op.create_index(name, "sla_clocks", columns, sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade() -> None:
    op.add_column("sla_clocks", sa.Column("alarm_at", UTCDateTime(), nullable=True))
    op.execute(f"UPDATE sla_clocks SET alarm_at = {ALARM}")
    for name in REPLACED:
        op.drop_index(name, table_name="sla_clocks")
    _index("ix_sla_clocks_alarm", ["alarm_at", "force"], "alarm_at IS NOT NULL")
    _index("ix_sla_clocks_open_due", ["due_at", "id", "force", "name", "breached_at"], OPEN)


def downgrade() -> None:
    op.drop_index("ix_sla_clocks_open_due", table_name="sla_clocks")
    op.drop_index("ix_sla_clocks_alarm", table_name="sla_clocks")
    op.drop_column("sla_clocks", "alarm_at")
    for name, (columns, where) in REPLACED.items():
        _index(name, columns, where)
