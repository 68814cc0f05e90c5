"""Notification tables: the outbox, each user's preferences, and the teams' webhook endpoints."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from casework.storage.db import JSONType, UTCDateTime

CHANNELS = ("email", "webhook", "inbox")
STATUSES = ("pending", "failed", "sent", "dead")


class Notification(SQLModel, table=True):
    """One message to one recipient on one channel, written with the event that causes it (outbox)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_inbox", "recipient_id", "channel", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(max_length=32, unique=True)  # Message-ID and X-Casework-Delivery: same on every try
    kind: str = Field(max_length=40)
    case_id: int = Field(foreign_key="cases.id", index=True)
    channel: str = Field(max_length=10)
    recipient_id: int | None = Field(default=None, foreign_key="users.id")
    endpoint_id: int | None = Field(default=None, foreign_key="webhook_endpoints.id")
    subject: str = Field(max_length=300)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)  # facts to render from; never comment text
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationPreference(SQLModel, table=True):
    """How a user wants one kind of notification; absent means e-mail and inbox, no quiet hours."""

    __tablename__ = "notification_preferences"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    kind: str = Field(max_length=40, primary_key=True)
    email: bool = True
    inbox: bool = True
    quiet_start: time | None = None  # Europe/London; honoured for warnings only
    quiet_end: time | None = None


class WebhookEndpoint(SQLModel, table=True):
    """Where a force's team receives signed JSON notifications (e.g. a chat or incident system)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_team", "force", "team"),)

    id: int | None = Field(default=None, primary_key=True)
    force: str = Field(max_length=40)
    team: str = Field(max_length=40)
    url: str = Field(max_length=2048)
    secret: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)


class RecipientsVersion(SQLModel, table=True):
    """A new random stamp on every change to users, preferences or endpoints, set by database triggers
    (migrations 0016 and 0022): unlike a counter, a restored database's history cannot come back to it."""

    __tablename__ = "recipients_version"

    id: int = Field(default=1, primary_key=True)
    version: str = Field(max_length=36)
