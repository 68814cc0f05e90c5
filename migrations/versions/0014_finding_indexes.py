"""cases: one (value, detected_at, id) index per /cases filter, so a page never sorts all its matches

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# casework/cases/listing_indexes.py declares them and says which page walks which
FILTER_COLUMNS = ("threat_to_life", "referred_by_id", "assignee_id", "channel", "outcome", "platform", "state")


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name in FILTER_COLUMNS:
            batch_op.create_index(f'ix_cases_{name}_detected', [name, 'detected_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name in reversed(FILTER_COLUMNS):
            batch_op.drop_index(f'ix_cases_{name}_detected')
