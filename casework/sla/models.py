"""The `sla_clocks` table: one row per run of a clock on a case, indexed so the sweep finds due rows fast.

Every index is written by every intake and most steps (each starts or stops clocks), so there are few:
the sweep's (`alarm_at`: when the sweep next has something to mark on the run) and the open runs in
deadline order (queues, the dashboard's list and its count of live work). Compliance is read from the
clock tallies, so no index follows the start time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, case, null, text
from sqlmodel import Field, SQLModel

from casework.storage.db import UTCDateTime
from casework.storage.tables import table_of

_ALARMED = "alarm_at IS NOT NULL"
_OPEN = "stopped_at IS NULL"


def _partial(name: str, columns: tuple[str, ...], where: str) -> Index:
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class SlaClock(SQLModel, table=True):
    """A clock run: its deadline and warning time, and when it stopped, warned and breached (each once)."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("case_id", "name", "run", name="uq_sla_clocks_run"),
        _partial("ix_sla_clocks_alarm", ("alarm_at", "force"), _ALARMED),
        _partial("ix_sla_clocks_open_due", ("due_at", "id", "force", "name", "breached_at"), _OPEN),
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
    # The sweep's next call: warn_at until the warning is marked, then due_at until the breach is; none once
    # both are, or the run stopped (`ALARM`).
    alarm_at: datetime | None = _utc(default=None)


_c = table_of(SlaClock).c
# `alarm_at` as a run's marks and stop leave it, for an UPDATE (which reads the row as it was before it).
ALARM = case(
    (_c.stopped_at.is_not(None), null()),
    (_c.warned_at.is_(None), _c.warn_at),
    (_c.breached_at.is_(None), _c.due_at),
    else_=null(),
)
