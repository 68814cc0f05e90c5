"""audit: checkpoints and case retention

Revision ID: 0005
Revises: 0003web
Create Date: 2026-11-25
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

from casework.storage.db import UTCDateTime

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0003web'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('algorithm', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkpoints_created_at'), ['created_at'], unique=False)

    op.create_table('case_retention',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('review_date', sa.Date(), nullable=True),
    sa.Column('legal_hold', sa.Boolean(), nullable=False),
    sa.Column('hold_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('author_redacted_at', UTCDateTime(), nullable=True),
    sa.Column('redacted_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('case_id')
    )
    with op.batch_alter_table('case_retention', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_retention_review_date'), ['review_date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('case_retention', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_retention_review_date'))

    op.drop_table('case_retention')
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkpoints_created_at'))

    op.drop_table('checkpoints')
