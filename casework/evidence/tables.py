"""Tables of the evidence: content-addressed blobs in chunks, the attachments that cite them, the capture queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from casework.storage.db import UTCDateTime

CHUNK_BYTES = 1024 * 1024  # one row per MiB: a 25 MB file is 25 rows, each well inside any driver's limits


class EvidenceBlob(SQLModel, table=True):
    """Bytes as received, named by their SHA-256; `removed_at` once redaction dropped them (the digest stays)."""

    __tablename__ = "evidence_blobs"

    sha256: str = Field(max_length=64, primary_key=True)
    size: int = Field(sa_type=BigInteger)
    media_type: str = Field(max_length=60)
    chunks: int
    stored_at: datetime = Field(sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EvidenceChunk(SQLModel, table=True):
    """One MiB of a blob, in order; read one row at a time so memory stays flat in the file's size."""

    __tablename__ = "evidence_chunks"

    sha256: str = Field(
        sa_column=Column(String(64), ForeignKey("evidence_blobs.sha256"), primary_key=True, nullable=False)
    )
    n: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Attachment(SQLModel, table=True):
    """One exhibit on a case: who produced it, when, why; it cites a blob and never changes (bar redaction)."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("case_id", "exhibit", name="uq_attachments_exhibit"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    sha256: str = Field(foreign_key="evidence_blobs.sha256", max_length=64, index=True)
    size: int = Field(sa_type=BigInteger)
    media_type: str = Field(max_length=60)
    filename: str = Field(max_length=255)
    description: str = Field(max_length=2000)
    producer: str = Field(max_length=100)
    producer_name: str = Field(max_length=200)
    exhibit: str = Field(max_length=40)
    added_at: datetime = Field(sa_type=UTCDateTime)
    thumbnail: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    redacted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CaptureJob(SQLModel, table=True):
    """A new case's page waiting to be captured; swept by the scheduler, retried with back-off."""

    __tablename__ = "capture_jobs"
    __table_args__ = (Index("ix_capture_jobs_due", "status", "next_attempt_at"),)

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    url: str = Field(max_length=2048)
    status: str = Field(default="pending", max_length=20)  # pending, done, failed
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=2000)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
