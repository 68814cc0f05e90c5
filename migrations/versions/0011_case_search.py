"""cases: full-text search documents (FTS5 / tsvector), filter tags, saved views

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

from casework.storage.db import JSONType, UTCDateTime

revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# FTS5 with an external content table: the triggers keep the index in the writing transaction.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE case_search_fts USING fts5(author, comment_text, notes, "
    "content='case_search', content_rowid='case_id', tokenize='porter unicode61')",
    "CREATE TRIGGER case_search_ai AFTER INSERT ON case_search BEGIN "
    "INSERT INTO case_search_fts(rowid, author, comment_text, notes) "
    "VALUES (new.case_id, new.author, new.comment_text, new.notes); END",
    "CREATE TRIGGER case_search_ad AFTER DELETE ON case_search BEGIN "
    "INSERT INTO case_search_fts(case_search_fts, rowid, author, comment_text, notes) "
    "VALUES ('delete', old.case_id, old.author, old.comment_text, old.notes); END",
    "CREATE TRIGGER case_search_au AFTER UPDATE ON case_search BEGIN "
    "INSERT INTO case_search_fts(case_search_fts, rowid, author, comment_text, notes) "
    "VALUES ('delete', old.case_id, old.author, old.comment_text, old.notes); "
    "INSERT INTO case_search_fts(rowid, author, comment_text, notes) "
    "VALUES (new.case_id, new.author, new.comment_text, new.notes); END",
]
POSTGRES_TSV = [
    "ALTER TABLE case_search ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(author, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(comment_text, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(notes, '')), 'C')) STORED",
    "CREATE INDEX ix_case_search_tsv ON case_search USING gin (tsv)",
]


def upgrade() -> None:
    op.create_table('case_search',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('force', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('comment_text', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('handle_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('case_id')
    )
    with op.batch_alter_table('case_search', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_search_handle_key'), ['handle_key'], unique=False)

    op.create_table('case_tags',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('tag', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('case_id', 'tag')
    )
    with op.batch_alter_table('case_tags', schema=None) as batch_op:
        batch_op.create_index('ix_case_tags_tag_case', ['tag', 'case_id'], unique=False)

    op.create_table('saved_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('query', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('shared_role', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('forces', JSONType, nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner_id', 'name', name='uq_saved_views_owner_name')
    )
    with op.batch_alter_table('saved_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_views_owner_id'), ['owner_id'], unique=False)

    # /cases walks cases in detection or last-change order and stops after a page
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_detected', ['detected_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_updated', ['updated_at', 'id'], unique=False)

    for statement in SQLITE_FTS if op.get_bind().dialect.name == 'sqlite' else POSTGRES_TSV:
        op.execute(statement)
    # Cases stored before this revision get their documents now.
    op.execute(
        "INSERT INTO case_search (case_id, force, comment_text, author, handle_key, notes) "
        "SELECT c.id, c.force, m.text, trim(coalesce(m.author_handle, '') || ' ' || coalesce(m.author_name, '')), "
        "lower(ltrim(m.author_handle, '@')), '' FROM cases c JOIN comments m ON m.case_id = c.id"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('case_search_ai', 'case_search_ad', 'case_search_au'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS case_search_fts")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_updated')
        batch_op.drop_index('ix_cases_detected')
    op.drop_table('saved_views')
    op.drop_table('case_tags')
    op.drop_table('case_search')
