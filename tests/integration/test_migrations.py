"""The Alembic migrations create exactly the schema the models declare, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import casework.all_models  # noqa: F401
from casework.cases.tables import managed_by_models


def test_migrations_match_the_models(cw):
    with cw.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": managed_by_models})
        assert compare_metadata(context, SQLModel.metadata) == []
