"""Retention (SPEC §6, MoPI): review dates set at closure, legal holds, and redaction of personal data."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update
from sqlmodel import col

from casework.access.actors import Actor
from casework.audit.redaction import (
    AUTHOR_FIELDS,
    CASE_TEXT_FIELDS,
    REDACTED,
    identifiers,
    neutral_permalink,
    redacted_captured,
    scrub,
)
from casework.audit.tables import CaseRetention
from casework.cases import search_index
from casework.cases.queries import case_in_force
from casework.cases.rows import CaseRecord
from casework.clock import london
from casework.config import ForceConfig
from casework.errors import PermissionDenied, ValidationError
from casework.storage import chain
from casework.storage.tables import Case, Comment, table_of

if TYPE_CHECKING:
    from casework.events import CaseChanged
    from casework.runtime import Casework
    from casework.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# Years to keep a closed case's personal data, by outcome; a force overrides with extra["retention"].
DEFAULT_YEARS = {
    "dismissed": 1,
    "moderated": 1,
    "no_crime": 2,
    "referred_elsewhere": 2,
    "nchi_recorded": 6,
    "crime_recorded": 6,
}
FALLBACK_YEARS = 6  # an outcome without a rule is kept for the MoPI minimum
PERSONAL_FIELDS = ("text", *AUTHOR_FIELDS)
HOLD_ROLES = frozenset({"supervisor"})
SYSTEM = "system:retention"
_cases, _retention = table_of(Case), table_of(CaseRetention)


def retention_problems(force: ForceConfig) -> dict[str, str]:
    """What is wrong with the force's `retention` table, by setting (empty when it is sound)."""
    custom = force.extra.get("retention", {})
    where = f"forces.{force.code}.retention"
    if not isinstance(custom, dict):
        return {where: "must be a table of outcome = years"}
    problems = {}
    for outcome, years in custom.items():
        if outcome not in DEFAULT_YEARS:
            problems[f"{where}.{outcome}"] = f"unknown outcome; the outcomes are {', '.join(DEFAULT_YEARS)}"
        elif not isinstance(years, int) or isinstance(years, bool) or not 0 < years <= 100:
            problems[f"{where}.{outcome}"] = f"a whole number of years from 1 to 100, not {years!r}"
    return problems


def retention_years(force: ForceConfig) -> dict[str, int]:
    """The force's rules: the defaults overlaid with `extra["retention"]`, checked."""
    if problems := retention_problems(force):
        raise ValidationError(problems)
    return {**DEFAULT_YEARS, **force.extra.get("retention", {})}


def review_date(closed_on: date, years: int) -> date:
    try:
        return closed_on.replace(year=closed_on.year + years)
    except ValueError:  # 29 February
        return closed_on.replace(year=closed_on.year + years, day=28)


def on_case_changed(uow: UnitOfWork, change: CaseChanged, cw: Casework) -> None:
    """Set the review date at closure, clear it on reopen, redact the author at once for NCHI below threshold."""
    if change.kind != "transitioned":
        return
    case = change.case
    if change.dest == "closed":
        years = retention_years(cw.settings.force(case.force)).get(case.outcome or "", FALLBACK_YEARS)
        review = review_date(london(change.at).date(), years)
        uow.driver.execute(_SET_REVIEW, uow.driver.values((case.id, case.outcome, review, False)))
    elif change.trigger == "reopen":
        uow.connection.execute(_CLEAR_REVIEW, {"of_case": case.id})
    if (
        change.trigger == "give_advice"
        and change.inputs.get("outcome") == "nchi_recorded"
        and change.inputs.get("personal_data_threshold_met") is False
    ):
        _redact(
            uow,
            case,
            _row(uow, case.id),
            change.at,
            SYSTEM,
            fields=AUTHOR_FIELDS,
            reason="nchi_personal_data_threshold_not_met",
        )


# Closure's review date in one upsert (a hold or a redaction may have made the row).
_SET_REVIEW = (
    "INSERT INTO case_retention (case_id, outcome, review_date, legal_hold) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (case_id) DO UPDATE SET outcome = excluded.outcome, review_date = excluded.review_date"
)
_CLEAR_REVIEW = (
    update(_retention)
    .where(_retention.c.case_id == bindparam("of_case"), _retention.c.review_date.is_not(None))
    .values(review_date=None)
)


def shown_comment(comment: Comment, row: CaseRetention | None) -> dict[str, Any]:
    """The captured comment's personal fields as anyone may see them: "[redacted]" once redacted."""
    text_gone = comment.redacted_at is not None
    author_gone = text_gone or (row is not None and row.author_redacted_at is not None)
    return {
        "text": REDACTED if text_gone else comment.text,
        **{name: REDACTED if author_gone else getattr(comment, name) for name in AUTHOR_FIELDS},
    }


def status(cw: Casework, case_id: int) -> CaseRetention | None:
    with cw.reader() as uow:
        return uow.session.get(CaseRetention, case_id)


def set_legal_hold(cw: Casework, actor: Actor, reference: str, hold: bool, reason: str) -> CaseRetention:
    """A supervisor puts a case on legal hold (its personal data is kept) or lifts the hold; recorded."""
    if not actor.roles & HOLD_ROLES:
        raise PermissionDenied("a legal hold is set or lifted by a supervisor")
    reason = (reason or "").strip()
    if not 3 <= len(reason) <= 2000 or "\x00" in reason:
        raise ValidationError({"reason": "a reason of 3-2000 characters is required"})
    with cw.uow() as uow:
        case = case_in_force(uow.session, actor, reference)
        assert case.id is not None  # a stored case
        row = _row(uow, case.id, lock=True)
        if row.legal_hold == hold:
            raise ValidationError({"hold": f"case {reference} is {'already' if hold else 'not'} on legal hold"})
        if hold and row.redacted_at is not None:
            raise ValidationError({"hold": f"the personal data of {reference} was redacted already"})
        row.legal_hold, row.hold_reason = hold, reason if hold else None
        uow.record(
            "legal_hold_set" if hold else "legal_hold_lifted",
            at=cw.now(),
            actor=actor.username,
            role="supervisor",
            case=case,
            from_state=case.state,
            to_state=case.state,
            data={"reason": reason},
        )
        uow.commit()
        return row


@dataclass
class RetentionRun:
    redacted: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)


def run_retention(cw: Casework) -> RetentionRun:
    """Redact the personal data of closed cases past their review date and not on hold (daily job)."""
    for force in cw.settings.forces.values():
        retention_years(force)
    today = london(cw.now()).date()
    with cw.reader() as uow:
        due = (
            uow.session.execute(
                select(col(CaseRetention.case_id))
                .where(col(CaseRetention.review_date) <= today, col(CaseRetention.redacted_at).is_(None))
                .order_by(col(CaseRetention.case_id))
            )
            .scalars()
            .all()
        )
    report = RetentionRun()
    for case_id in due:
        with cw.uow() as uow:
            row = _row(uow, case_id, lock=True)
            if row.redacted_at is not None or row.review_date is None or row.review_date > today:
                continue  # changed meanwhile (reopened, or another run)
            case = uow.session.get(Case, case_id)
            assert case is not None  # the retention row's foreign key
            if row.legal_hold:
                report.held.append(case.reference)
                continue
            _redact(
                uow,
                case,
                row,
                cw.now(),
                SYSTEM,
                fields=PERSONAL_FIELDS,
                reason="retention_review_passed",
                review_date=row.review_date.isoformat(),
            )
            uow.commit()
            report.redacted.append(case.reference)
    log.info("retention run: %d redacted, %d on hold", len(report.redacted), len(report.held))
    return report


def _row(uow: UnitOfWork, case_id: int, lock: bool = False) -> CaseRetention:
    query = select(CaseRetention).where(col(CaseRetention.case_id) == case_id)
    row = uow.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if row is None:
        row = CaseRetention(case_id=case_id)
        uow.session.add(row)
    return row


def _redact(
    uow: UnitOfWork,
    case: Case | CaseRecord,
    row: CaseRetention,
    at: datetime,
    actor: str,
    *,
    fields: tuple[str, ...],
    reason: str,
    **detail: Any,
) -> None:
    """Remove the author (and the text, if asked) from the comment and the case; the evidence digest stays.

    The text column is emptied (the page then says when it was redacted); every other field that named the
    author reads "[redacted]", the permalink becomes a handle-free one.
    """
    comment = uow.session.get(Comment, case.id)
    assert comment is not None  # every case keeps its captured comment
    captured = comment.captured or {}
    names = identifiers([*(getattr(comment, f) for f in AUTHOR_FIELDS), *(captured.get(f) for f in AUTHOR_FIELDS)])
    if "text" in fields:
        comment.text = None
    for name in AUTHOR_FIELDS:
        if name in fields and getattr(comment, name) is not None:
            setattr(comment, name, REDACTED)
    current = uow.session.execute(
        select(_cases.c.permalink, *(_cases.c[f] for f in CASE_TEXT_FIELDS)).where(_cases.c.id == case.id)
    ).one()
    permalink = neutral_permalink(case.platform, case.external_id, current.permalink, names)
    comment.captured = redacted_captured(captured, fields, permalink, names)
    # Core, not the ORM: during an action the case is a plain record already saved; the version stays,
    # since no workflow field changes.
    scrubbed = {
        "author_key": None,
        "permalink": permalink or "",
        **{f: scrub(getattr(current, f), names) or "" for f in CASE_TEXT_FIELDS},
    }
    uow.session.execute(update(_cases).where(_cases.c.id == case.id).values(**scrubbed))
    if isinstance(case, CaseRecord):  # what the action answers with must not name the author either
        vars(case).update(scrubbed)
    search_index.forget(uow, comment.case_id, fields)
    row.author_redacted_at = row.author_redacted_at or at
    if "text" in fields:
        comment.redacted_at = row.redacted_at = at
    uow.record(
        "redacted",
        at=at,
        actor=actor,
        role="system",
        case=case,
        from_state=case.state,
        to_state=case.state,
        data={
            "fields": list(fields),
            "reason": reason,
            "evidence_digest": case.evidence_digest,
            "remaining_digest": chain.digest(comment.captured),  # what `audit verify` checks the comment against
            **detail,
        },
    )
