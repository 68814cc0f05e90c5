"""Redaction of exhibits: when a case's personal data goes (review date passed, NCHI below threshold), so do
the bytes of its attachments; the attachment row, its digest and an `attachment_redacted` event remain.

The bytes of a blob go only when no attachment that is not redacted still cites them (the same file may
be an exhibit on another case). A case on legal hold keeps its exhibits.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlmodel import col

from casework.audit.tables import CaseRetention
from casework.evidence import store
from casework.evidence.tables import Attachment
from casework.storage.tables import Case

if TYPE_CHECKING:
    from casework.events import CaseChanged
    from casework.runtime import Casework
    from casework.storage.uow import UnitOfWork

log = logging.getLogger(__name__)
SYSTEM = "system:retention"


def on_case_changed(uow: UnitOfWork, change: CaseChanged, cw: Casework) -> None:
    """Advice of an NCHI below the personal-data threshold redacts the exhibits in the same transaction."""
    if (
        change.kind == "transitioned"
        and change.trigger == "give_advice"
        and change.inputs.get("outcome") == "nchi_recorded"
        and change.inputs.get("personal_data_threshold_met") is False
    ):
        redact_case(uow, change.case, change.at, "nchi_personal_data_threshold_not_met")


def redact_case(uow: UnitOfWork, case: Case, at: datetime, reason: str) -> list[str]:
    """Redact every exhibit of the case not yet redacted; the exhibit references redacted."""
    s = uow.session
    items = list(
        s.execute(
            select(Attachment)
            .where(col(Attachment.case_id) == case.id, col(Attachment.redacted_at).is_(None))
            .order_by(col(Attachment.id))
            .with_for_update()
        ).scalars()
    )
    for item in items:
        item.redacted_at, item.thumbnail = at, None
    s.flush()
    for sha256 in sorted({i.sha256 for i in items}):
        still_cited = s.execute(
            select(func.count())
            .select_from(Attachment)
            .where(col(Attachment.sha256) == sha256, col(Attachment.redacted_at).is_(None))
        ).scalar_one()
        if not still_cited:
            store.remove_bytes(s, sha256, at)
    for item in items:
        uow.record(
            "attachment_redacted",
            at=at,
            actor=SYSTEM,
            role="system",
            case=case,
            from_state=case.state,
            to_state=case.state,
            data={"attachment": item.id, "exhibit": item.exhibit, "sha256": item.sha256, "reason": reason},
        )
    return [i.exhibit for i in items]


def redact_due(cw: Casework) -> list[str]:
    """Daily, after the retention run: exhibits of cases whose personal data was redacted, unless held."""
    with cw.reader() as uow:
        due = (
            uow.session.execute(
                select(col(Attachment.case_id))
                .join(CaseRetention, col(CaseRetention.case_id) == col(Attachment.case_id))
                .where(
                    col(Attachment.redacted_at).is_(None),
                    col(CaseRetention.legal_hold).is_(False),
                    or_(
                        col(CaseRetention.redacted_at).is_not(None), col(CaseRetention.author_redacted_at).is_not(None)
                    ),
                )
                .distinct()
                .order_by(col(Attachment.case_id))
            )
            .scalars()
            .all()
        )
    done: list[str] = []
    for case_id in due:
        with cw.uow() as uow:
            case = uow.session.get(Case, case_id)
            row = uow.session.get(CaseRetention, case_id)
            if case is None or row is None or row.legal_hold:
                continue
            reason = "retention_review_passed" if row.redacted_at else "nchi_personal_data_threshold_not_met"
            if redact_case(uow, case, cw.now(), reason):
                uow.commit()
                done.append(case.reference)
    log.info("exhibits redacted on %d case(s)", len(done))
    return done
