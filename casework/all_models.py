"""Imports every module that declares tables, so SQLModel.metadata is complete for Alembic and tests."""
import casework.models  # noqa: F401
import casework.queue  # noqa: F401  (the queue index on cases)
import casework.signin  # noqa: F401
import casework.sla.models  # noqa: F401
import casework.notify_models  # noqa: F401
import casework.tokens  # noqa: F401
import casework.audit_tables  # noqa: F401
