"""tallies: a slot in each tally's key, so concurrent PostgreSQL writers of one force add to rows of their own

Every intake of a force added to the same case and clock tally rows, and its writers queued on those rows'
locks. A writer now adds to its backend's slot (casework/cases/tallies.py) and readers sum over the slots.
Both tables are rebuilt with each key's total in slot 0 (and summed back over the slots on a downgrade).

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = {
    "case_tallies": (("force", sa.String(40)), ("state", sa.String(40)), ("outcome", sa.String(40))),
    "clock_tallies": (
        ("force", sa.String(40)),
        ("clock", sa.String(60)),
        ("status", sa.String(10)),
        ("day", sa.Date()),
    ),
}
COUNTS = {"case_tallies": "cases", "clock_tallies": "clocks"}


def _rebuild(slot: bool) -> None:
    """Recreate both tallies with (or without) the slot in the key, keeping each key's total."""
    bind = op.get_bind()
    for name, keys in KEYS.items():
        count = COUNTS[name]
        old = sa.table(name, *(sa.column(k, kind) for k, kind in keys), sa.column(count, sa.Integer()))
        by = [old.c[k] for k, _ in keys]
        totals = bind.execute(sa.select(*by, sa.func.sum(old.c[count]).label(count)).group_by(*by))
        rows = [{**r._mapping, "slot": 0} if slot else dict(r._mapping) for r in totals]
        op.drop_table(name)
        slots = [sa.Column("slot", sa.Integer(), nullable=False, autoincrement=False)] if slot else []
        table = op.create_table(
            name,
            *(sa.Column(k, kind, nullable=False) for k, kind in keys),
            *slots,
            sa.Column(count, sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint(*(k for k, _ in keys), *(c.name for c in slots)),
        )
        if rows:
            op.bulk_insert(table, rows)


def upgrade() -> None:
    _rebuild(slot=True)


def downgrade() -> None:
    _rebuild(slot=False)
