"""cases, case_events: drop the five indexes another index already begins with

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

Each was a prefix of a wider index (ix_cases_state of ix_cases_state_detected, ix_cases_force_state of
ix_cases_queue, ix_cases_assignee_id of ix_cases_assignee_id_detected, ix_case_events_action and
ix_case_events_actor of their `_seq` indexes), so no query loses its index, and every transition
writes fewer index pages.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REDUNDANT = {
    "ix_cases_state": ("cases", ["state"]),
    "ix_cases_force_state": ("cases", ["force", "state"]),
    "ix_cases_assignee_id": ("cases", ["assignee_id"]),
    "ix_case_events_action": ("case_events", ["action"]),
    "ix_case_events_actor": ("case_events", ["actor"]),
}


def upgrade() -> None:
    for name, (table, _) in REDUNDANT.items():
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, (table, columns) in REDUNDANT.items():
        op.create_index(name, table, columns, unique=False)
