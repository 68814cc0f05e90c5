"""The Alembic migrations create exactly the schema the models declare, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import casework.all_models  # noqa: F401
from casework.cases.tables import managed_by_models


def test_migrations_match_the_models(cw):
    with cw.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": managed_by_models})
        assert compare_metadata(context, SQLModel.metadata) == []


def _index_rows(connection: Connection) -> dict[str, str | None]:
    """Each index of the current schema and the rows it holds (its WHERE, as the database normalises it)."""
    if connection.dialect.name == "sqlite":
        found = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
        return {name: sql.partition(" WHERE ")[2] or None for name, sql in found}
    found = connection.execute(
        text(
            "SELECT c.relname, pg_get_expr(i.indpred, i.indrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema()"
        )
    )
    return dict(found.all())


def test_partial_indexes_hold_the_rows_the_models_declare(cw, tmp_path):
    """Autogenerate compares an index's columns, not its WHERE: the migrated indexes are compared with those
    `create_all` makes from the models, read back from the same kind of database."""
    with cw.engine.connect() as connection:
        migrated = _index_rows(connection)
        if connection.dialect.name == "sqlite":
            declared_engine = create_engine(f"sqlite:///{tmp_path / 'declared.db'}")
            SQLModel.metadata.create_all(declared_engine)
            with declared_engine.connect() as declared_connection:
                declared = _index_rows(declared_connection)
            declared_engine.dispose()
        else:  # PostgreSQL's DDL is transactional: the models' schema is made, read and rolled back
            connection.execute(text("CREATE SCHEMA declared"))
            connection.execute(text("SET LOCAL search_path TO declared"))
            SQLModel.metadata.create_all(connection)
            declared = _index_rows(connection)
            connection.rollback()
    assert any(declared.values())  # the comparison sees partial indexes at all
    assert {name: migrated.get(name) for name in declared} == declared
