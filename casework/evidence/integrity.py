"""Re-hashing every stored exhibit for `audit verify`: the bytes must still give the digest they are named by,
and each attachment must cite the digest its `attachment_added` event recorded in the chain."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from casework.evidence import store
from casework.evidence.tables import Attachment, EvidenceBlob
from casework.storage.tables import CaseEvent


@dataclass
class BlobCheck:
    blobs: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        if self.ok:
            return f"attachments intact: {self.blobs} stored files re-hashed"
        return "attachments tampered with: " + "; ".join(self.problems)


def verify_blobs(session: Session, batch: int = 1000) -> BlobCheck:
    """Hash each stored blob chunk by chunk and compare attachments with their events, a batch at a time."""
    check = BlobCheck()
    after = ""
    while rows := session.execute(
        select(col(EvidenceBlob.sha256), col(EvidenceBlob.size), col(EvidenceBlob.chunks))
        .where(col(EvidenceBlob.removed_at).is_(None), col(EvidenceBlob.sha256) > after)
        .order_by(col(EvidenceBlob.sha256))
        .limit(batch)
    ).all():
        for sha256, size, chunks in rows:
            _rehash(session, check, sha256, size, chunks)
        after = rows[-1][0]
    last_id = 0
    while items := session.execute(
        select(col(Attachment.id), col(Attachment.case_id), col(Attachment.exhibit), col(Attachment.sha256))
        .where(col(Attachment.id) > last_id)
        .order_by(col(Attachment.id))
        .limit(batch)
    ).all():
        recorded = _recorded_digests(session, {case_id for _, case_id, _, _ in items})
        for attachment_id, _, exhibit, sha256 in items:
            if recorded.get(attachment_id) != sha256:
                check.problems.append(f"attachment {attachment_id} ({exhibit}) cites {sha256[:12]}…, not its event's")
        last_id = items[-1][0] or last_id
    return check


def _rehash(session: Session, check: BlobCheck, sha256: str, size: int, chunks: int) -> None:
    digest, seen = hashlib.sha256(), 0
    for n in range(chunks):
        piece = store.read_chunk(session, sha256, n) or b""
        digest.update(piece)
        seen += len(piece)
    check.blobs += 1
    if digest.hexdigest() != sha256 or seen != size:
        check.problems.append(f"stored bytes of {sha256} no longer match their SHA-256")


def _recorded_digests(session: Session, case_ids: set[int]) -> dict[int | None, str | None]:
    """attachment id → the SHA-256 its `attachment_added` event put in the chain, for these cases."""
    events = session.execute(
        select(col(CaseEvent.data)).where(
            col(CaseEvent.action) == "attachment_added", col(CaseEvent.case_id).in_(sorted(case_ids))
        )
    ).scalars()
    return {data.get("attachment"): data.get("sha256") for data in events}


def problem(session: Session) -> str | None:
    """The re-hash as a check of a recorded verification (wired by `casework.bootstrap`)."""
    check = verify_blobs(session)
    return None if check.ok else check.describe()
