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


def verify_blobs(session: Session) -> BlobCheck:
    """Hash each stored blob chunk by chunk (flat memory) and compare the attachments with their events."""
    check = BlobCheck()
    blobs = session.execute(
        select(col(EvidenceBlob.sha256), col(EvidenceBlob.size), col(EvidenceBlob.chunks))
        .where(col(EvidenceBlob.removed_at).is_(None))
        .order_by(col(EvidenceBlob.sha256))
    ).all()
    for sha256, size, chunks in blobs:
        digest, seen = hashlib.sha256(), 0
        for n in range(chunks):
            piece = store.read_chunk(session, sha256, n) or b""
            digest.update(piece)
            seen += len(piece)
        check.blobs += 1
        if digest.hexdigest() != sha256 or seen != size:
            check.problems.append(f"stored bytes of {sha256} no longer match their SHA-256")
    recorded = {
        event.data.get("attachment"): event.data.get("sha256")
        for event in session.execute(select(CaseEvent).where(col(CaseEvent.action) == "attachment_added")).scalars()
    }
    for attachment_id, exhibit, sha256 in session.execute(
        select(col(Attachment.id), col(Attachment.exhibit), col(Attachment.sha256)).order_by(col(Attachment.id))
    ):
        if recorded.get(attachment_id) != sha256:
            check.problems.append(
                f"attachment {attachment_id} ({exhibit}) cites {sha256[:12]}…, not what its event recorded"
            )
    return check
