"""sla clocks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

from casework.storage.db import UTCDateTime

revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('sla_clocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('force', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('calendar', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('target_seconds', sa.Integer(), nullable=False),
    sa.Column('started_at', UTCDateTime(), nullable=False),
    sa.Column('warn_at', UTCDateTime(), nullable=False),
    sa.Column('due_at', UTCDateTime(), nullable=False),
    sa.Column('stopped_at', UTCDateTime(), nullable=True),
    sa.Column('warned_at', UTCDateTime(), nullable=True),
    sa.Column('breached_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'name', 'run', name='uq_sla_clocks_run')
    )
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.create_index('ix_sla_clocks_breach_pending', ['due_at'], unique=False, postgresql_where=sa.text('breached_at IS NULL AND stopped_at IS NULL'), sqlite_where=sa.text('breached_at IS NULL AND stopped_at IS NULL'))
        batch_op.create_index('ix_sla_clocks_open_due', ['due_at'], unique=False, postgresql_where=sa.text('stopped_at IS NULL'), sqlite_where=sa.text('stopped_at IS NULL'))
        batch_op.create_index('ix_sla_clocks_started', ['started_at'], unique=False)
        batch_op.create_index('ix_sla_clocks_warning_pending', ['warn_at'], unique=False, postgresql_where=sa.text('warned_at IS NULL AND stopped_at IS NULL'), sqlite_where=sa.text('warned_at IS NULL AND stopped_at IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_sla_clocks_warning_pending', postgresql_where=sa.text('warned_at IS NULL AND stopped_at IS NULL'), sqlite_where=sa.text('warned_at IS NULL AND stopped_at IS NULL'))
        batch_op.drop_index('ix_sla_clocks_started')
        batch_op.drop_index('ix_sla_clocks_open_due', postgresql_where=sa.text('stopped_at IS NULL'), sqlite_where=sa.text('stopped_at IS NULL'))
        batch_op.drop_index('ix_sla_clocks_breach_pending', postgresql_where=sa.text('breached_at IS NULL AND stopped_at IS NULL'), sqlite_where=sa.text('breached_at IS NULL AND stopped_at IS NULL'))

    op.drop_table('sla_clocks')
