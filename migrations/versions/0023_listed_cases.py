"""listed_cases: each case a list consultation showed, so a case's disclosure log is an index look-up

Every queue, dashboard, /cases page, search and API list is one `viewed` event naming the cases it
showed in its JSON data, and a CSV of a list one `exported` event. A case's disclosure log read every
such event to find those naming the case: 350 ms for 200,000 list views on SQLite, growing by the
day. Each named case now also gets a row here with its event's `at` and `actor`, written with the
event; this fills the rows of the events already recorded (and, on PostgreSQL, still queued).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from casework.storage.db import UTCDateTime

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LISTS = "case_id IS NULL AND action IN ('viewed', 'exported')"
_FILL = {
    "sqlite": ("INSERT OR IGNORE INTO listed_cases (reference, at, actor) "
               "SELECT listed.value, at, actor FROM {table}, json_each({table}.data, '$.references') AS listed "
               "WHERE {lists} AND json_type({table}.data, '$.references') = 'array'"),
    "postgresql": ("INSERT INTO listed_cases (reference, at, actor) SELECT listed, at, actor FROM {table}, "
                   "jsonb_array_elements_text(CASE jsonb_typeof(data -> 'references') "
                   "WHEN 'array' THEN data -> 'references' END) AS listed WHERE {lists} ON CONFLICT DO NOTHING"),
}


def upgrade() -> None:
    op.create_table(
        "listed_cases",
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.PrimaryKeyConstraint("reference", "at", "actor"),
    )
    dialect = op.get_bind().dialect.name
    for table in ("case_events", "chain_pending") if dialect == "postgresql" else ("case_events",):
        op.execute(_FILL[dialect].format(table=table, lists=_LISTS))


def downgrade() -> None:
    op.drop_table("listed_cases")
