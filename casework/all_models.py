"""Imports every module that declares tables, so SQLModel.metadata is complete for Alembic and tests."""

import casework.access.identity
import casework.access.sessions
import casework.access.signin
import casework.access.tokens
import casework.audit.log
import casework.audit.tables
import casework.cases.listing
import casework.cases.queue
import casework.cases.tables
import casework.cases.tallies
import casework.evidence.tables
import casework.notify.tables
import casework.sla.models
import casework.storage.heartbeat
import casework.storage.tables  # noqa: F401
