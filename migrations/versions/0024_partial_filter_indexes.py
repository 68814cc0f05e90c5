"""cases: the filter indexes of threat to life, referrer and outcome hold only the rows those filters ask for

Every intake wrote a new case (no threat to life, no referrer, no outcome) into all three, though no page
lists cases by the absence of any of them; each was a page more in every intake's commit. Each index now
holds only the cases with a threat to life, a referrer or an outcome.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# as casework/cases/listing_indexes.py declares them
ROWS = {
    "threat_to_life": {"sqlite": "threat_to_life = 1", "postgresql": "threat_to_life"},
    "referred_by_id": dict.fromkeys(("sqlite", "postgresql"), "referred_by_id IS NOT NULL"),
    "outcome": dict.fromkeys(("sqlite", "postgresql"), "outcome IS NOT NULL"),
}


def _create(name: str, where: dict[str, str]) -> None:
    rows = {f"{dialect}_where": sa.text(text) for dialect, text in where.items()}
    op.create_index(f"ix_cases_{name}_detected", "cases", [name, "detected_at", "id"], **rows)


def upgrade() -> None:
    for name, where in ROWS.items():
        op.drop_index(f"ix_cases_{name}_detected", table_name="cases")
        _create(name, where)


def downgrade() -> None:
    for name in ROWS:
        op.drop_index(f"ix_cases_{name}_detected", table_name="cases")
        _create(name, {})
