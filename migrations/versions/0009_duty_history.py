"""workflow: who ever referred and advised on each case (separation of duties), the open question

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_COLUMNS = {'refer': 'referrer_ids', 'give_advice': 'adviser_ids'}


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('referrer_ids', _JSON, server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('adviser_ids', _JSON, server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('open_question', sa.Text(), nullable=True))
    _backfill_from_history()


def _backfill_from_history() -> None:
    """Every referral and advice already in the log counts, as it would have under the new rule."""
    bind = op.get_bind()
    events = sa.table('case_events', sa.column('seq'), sa.column('case_id'), sa.column('actor'),
                      sa.column('action'), sa.column('data', sa.JSON()))
    users = sa.table('users', sa.column('id'), sa.column('username'))
    cases = sa.table('cases', sa.column('id'), sa.column('referrer_ids', _JSON), sa.column('adviser_ids', _JSON))
    ids = {name: uid for uid, name in bind.execute(sa.select(users.c.id, users.c.username))}
    found: dict[int, dict[str, list[int]]] = {}
    rows = bind.execute(
        sa.select(events.c.case_id, events.c.actor, events.c.data)
        .where(events.c.action == 'transition', events.c.case_id.is_not(None))
        .order_by(events.c.seq)
    )
    for case_id, actor, data in rows:
        column = _COLUMNS.get((data or {}).get('trigger'))
        uid = ids.get(actor)
        if column and uid is not None:
            known = found.setdefault(case_id, {'referrer_ids': [], 'adviser_ids': []})[column]
            if uid not in known:
                known.append(uid)
    for case_id, values in found.items():
        bind.execute(sa.update(cases).where(cases.c.id == case_id).values(**values))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): recreating `cases` would break the events' foreign keys.
    with op.batch_alter_table('cases', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('open_question')
        batch_op.drop_column('adviser_ids')
        batch_op.drop_column('referrer_ids')
