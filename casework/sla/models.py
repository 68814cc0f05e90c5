"""The `sla_clocks` table: one row per run of a clock on a case, indexed so the sweep finds due rows fast."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from casework.storage.db import UTCDateTime

_PENDING_WARNING = "warned_at IS NULL AND stopped_at IS NULL"
_PENDING_BREACH = "breached_at IS NULL AND stopped_at IS NULL"
_OPEN = "stopped_at IS NULL"


def _partial(name: str, column: str, where: str) -> Index:
    return Index(name, column, postgresql_where=text(where), sqlite_where=text(where))


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class SlaClock(SQLModel, table=True):
    """A clock run: its deadline and warning time, and when it stopped, warned and breached (each once)."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("case_id", "name", "run", name="uq_sla_clocks_run"),
        _partial("ix_sla_clocks_warning_pending", "warn_at", _PENDING_WARNING),
        _partial("ix_sla_clocks_breach_pending", "due_at", _PENDING_BREACH),
        _partial("ix_sla_clocks_open_due", "due_at", _OPEN),
        Index("ix_sla_clocks_started", "started_at"),  # compliance over a period
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    name: str = Field(max_length=40)
    run: int = 1  # a clock restarted on the same case (review decision after request_information) is run 2, 3...
    force: str = Field(max_length=40)
    calendar: str = Field(max_length=20)
    target_seconds: int  # measured on `calendar`: office seconds for office hours
    started_at: datetime = _utc()
    warn_at: datetime = _utc()
    due_at: datetime = _utc()
    stopped_at: datetime | None = _utc(default=None)
    warned_at: datetime | None = _utc(default=None)
    breached_at: datetime | None = _utc(default=None)
