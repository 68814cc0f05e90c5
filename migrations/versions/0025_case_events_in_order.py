"""case_events: a case's events indexed in chain order, (case_id, seq) in place of (case_id)

A case's history, timeline and audit-log page read its events in seq order; off the case_id index each
read sorted every event of the case first, and every view of a case is one of its events. The new index
is as costly to write as the one it replaces.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_case_events_case_seq", "case_events", ["case_id", "seq"])
    op.drop_index("ix_case_events_case_id", table_name="case_events")


def downgrade() -> None:
    op.create_index("ix_case_events_case_id", "case_events", ["case_id"])
    op.drop_index("ix_case_events_case_seq", table_name="case_events")
