"""Tables of the auditing work: signed checkpoints of the chain, and each case's retention record."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from casework.storage.db import UTCDateTime


class Checkpoint(SQLModel, table=True):
    """A signed statement of the chain head; the auditor keeps a copy outside the system."""

    __tablename__ = "checkpoints"

    id: int | None = Field(default=None, primary_key=True)
    seq: int
    hash: str = Field(max_length=64)
    event_count: int
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_by: str = Field(max_length=100)
    algorithm: str = Field(max_length=40)
    signature: str = Field(max_length=128)


class CaseRetention(SQLModel, table=True):
    """When a closed case's personal data is due for review, whether it is held, and what was redacted."""

    __tablename__ = "case_retention"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    outcome: str | None = Field(default=None, max_length=40)
    review_date: date | None = Field(default=None, index=True)
    legal_hold: bool = False
    hold_reason: str | None = Field(default=None, max_length=2000)
    author_redacted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    redacted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
