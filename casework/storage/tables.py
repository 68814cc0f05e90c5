"""The tables: users, cases, the captured comment (evidence) and the hash-chained case events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, Index, Integer, Table, Text, UniqueConstraint
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Field, SQLModel

from casework.storage.db import JSONType, UTCDateTime


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def _json(**kwargs: Any) -> Any:
    return Field(sa_type=JSONType, **kwargs)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model (`Model.__table__`, which SQLModel does not declare for type checkers)."""
    return cast(Table, sa_inspect(model).local_table)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    password_hash: str | None = Field(default=None, max_length=200)
    roles: list[str] = _json(default_factory=list)
    forces: list[str] = _json(default_factory=list)
    active: bool = True
    created_at: datetime = _utc()
    # May sign in with a password even when CASEWORK_LOCAL_LOGIN=off (the identity provider is down).
    break_glass: bool = False

    def has_role(self, role: str) -> bool:
        return role in self.roles


_case_version = Column("version", Integer, nullable=False)


class Case(SQLModel, table=True):
    """One flagged comment moving through the A017 workflow; `version` guards against lost updates."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("force", "platform", "external_id", name="uq_cases_comment"),
        # The author's other cases, newest first, read in order however many there are.
        Index("ix_cases_force_author", "force", "author_key", "detected_at"),
    )
    __mapper_args__ = {"version_id_col": _case_version}

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=20, unique=True, index=True)
    force: str = Field(max_length=40)
    platform: str = Field(max_length=20)
    channel: str = Field(max_length=200)
    external_id: str = Field(max_length=200)
    permalink: str = Field(max_length=2048)
    author_key: str | None = Field(default=None, max_length=260)
    posted_at: datetime | None = _utc(default=None)
    detected_at: datetime = _utc()
    detected_by: str = Field(max_length=100)
    flag_reason: str = Field(max_length=2000)
    evidence_digest: str = Field(max_length=64)
    state: str = Field(max_length=40)  # indexed with detection and with the force (`ix_cases_queue`)
    assignee_id: int | None = Field(default=None, foreign_key="users.id")  # indexed with detection
    version: int = Field(default=1, sa_column=_case_version)
    threat_to_life: bool = False
    outcome: str | None = Field(default=None, max_length=40)
    referred_by_id: int | None = Field(default=None, foreign_key="users.id")
    advised_by_id: int | None = Field(default=None, foreign_key="users.id")
    # Everyone who ever referred or advised, across re-referrals and reopens (separation of duties).
    referrer_ids: list[int] = _json(default_factory=list, sa_column_kwargs={"server_default": "[]"})
    adviser_ids: list[int] = _json(default_factory=list, sa_column_kwargs={"server_default": "[]"})
    open_question: str | None = Field(default=None, sa_type=Text)  # asked by request_information, answered by refer
    closed_at: datetime | None = _utc(default=None)
    stage_inputs: dict[str, Any] = _json(default_factory=dict)
    updated_at: datetime = _utc()


class Comment(SQLModel, table=True):
    """The comment as captured at intake: the evidence. `digest` is fixed and never changes."""

    __tablename__ = "comments"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    author_id: str | None = Field(default=None, max_length=200)
    author_handle: str | None = Field(default=None, max_length=200)
    author_name: str | None = Field(default=None, max_length=200)
    text: str | None = None
    captured: dict[str, Any] = _json(default_factory=dict)
    digest: str = Field(max_length=64)
    redacted_at: datetime | None = _utc(default=None)


class CaseLink(SQLModel, table=True):
    """Two cases of the same author linked by staff (course of conduct)."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("case_id", "other_case_id", name="uq_case_links"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    other_case_id: int = Field(foreign_key="cases.id", index=True)
    linked_by_id: int = Field(foreign_key="users.id")
    linked_at: datetime = _utc()


class CaseEvent(SQLModel, table=True):
    """An append-only, hash-chained audit event. The database refuses UPDATE and DELETE."""

    __tablename__ = "case_events"
    # a case's events in chain order, walked as they stand however many there are (a case viewed thousands of times)
    __table_args__ = (Index("ix_case_events_case_seq", "case_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id")
    at: datetime = _utc(index=True)
    actor: str = Field(max_length=100)  # indexed with seq, as `action` is (the audit log's filters)
    role: str | None = Field(default=None, max_length=40)
    action: str = Field(max_length=60)
    from_state: str | None = Field(default=None, max_length=40)
    to_state: str | None = Field(default=None, max_length=40)
    data: dict[str, Any] = _json(default_factory=dict)
    data_digest: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class PendingEvent(SQLModel, table=True):
    """An event committed on PostgreSQL and not yet linked: the linker moves it into `case_events`.

    Writers append here without a shared lock; `chain.link_pending` numbers and hashes these in
    `id` order after the head, one linker at a time. SQLite links in the writer's own transaction.
    """

    __tablename__ = "chain_pending"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id")
    at: datetime = _utc()
    actor: str = Field(max_length=100)
    role: str | None = Field(default=None, max_length=40)
    action: str = Field(max_length=60)
    from_state: str | None = Field(default=None, max_length=40)
    to_state: str | None = Field(default=None, max_length=40)
    data: dict[str, Any] = _json(default_factory=dict)
    data_digest: str = Field(max_length=64)


class ChainHead(SQLModel, table=True):
    """The newest linked event's sequence number and hash; moved by whoever links the next events."""

    __tablename__ = "chain_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default="0" * 64, max_length=64)


class ReferenceCounter(SQLModel, table=True):
    """The last case number handed out per force and year."""

    __tablename__ = "reference_counters"

    force: str = Field(max_length=40, primary_key=True)
    year: int = Field(primary_key=True)
    last: int = 0
