"""Alembic environment: runs on the connection casework hands over, or on CASEWORK_DATABASE_URL."""

from alembic import context
from sqlmodel import SQLModel

import casework.all_models  # noqa: F401  (registers every table)
from casework.cases.tables import managed_by_models
from casework.config import Settings
from casework.storage.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=managed_by_models,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with make_engine(Settings.from_env().database_url).connect() as conn:
        run(conn)
