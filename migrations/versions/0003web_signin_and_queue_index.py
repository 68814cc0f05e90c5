"""web: sign-in throttle table and the queue index on cases

Revision ID: 0003web
Revises: 0004
Create Date: 2026-11-25
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

from casework.storage.db import UTCDateTime

revision: str = '0003web'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('signin_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_signin_failures_username_at', 'signin_failures', ['username', 'at'], unique=False)
    op.create_index('ix_cases_queue', 'cases', ['force', 'state', 'detected_at', 'id'], unique=False)

def downgrade() -> None:
    op.drop_index('ix_cases_queue', table_name='cases')
    op.drop_index('ix_signin_failures_username_at', table_name='signin_failures')

    op.drop_table('signin_failures')
