"""Consultation and disclosure logs (DPA 2018 s.62): who viewed or exported which case, when, and to whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, or_, select
from sqlmodel import col

from casework.access.actors import Actor
from casework.cases.consultation import VIEWED, check_via, index_listed
from casework.cases.queries import case_in_force
from casework.cases.tables import ListedCase
from casework.errors import PermissionDenied, ValidationError
from casework.storage.tables import Case, CaseEvent

if TYPE_CHECKING:
    from casework.runtime import Casework
    from casework.storage.uow import UnitOfWork

ACTIONS = (VIEWED, "exported")
AUDIT_ROLES = frozenset({"auditor"})
MAX_LISTED = 1000
LIST_SCOPES = {
    "search": "search results",
    "cases": "list of cases",
    "queue": "team queue",
    "dashboard": "dashboard (oldest open cases)",
    "case_list": "CSV of a list of cases",
}


def require_auditor(actor: Actor, doing: str) -> None:
    """Audit reading and exports are for auditors only (SPEC §1); checked here, not only in views."""
    if not actor.roles & AUDIT_ROLES:
        raise PermissionDenied(f"{doing} needs the role auditor")


def log_view(cw: Casework, actor: Actor, case: Case, via: str) -> None:
    """Record that `actor` consulted `case`, the case the read just returned (no second look-up)."""
    check_via(via)
    with cw.uow() as uow:
        uow.record(
            VIEWED,
            at=cw.now(),
            actor=actor.username,
            role=actor.role_label,
            case=case.id,
            from_state=case.state,
            to_state=case.state,
            data={"reference": case.reference, "via": via},
        )
        uow.commit()


def check_recipient(recipient: str | None, purpose: str | None) -> tuple[str, str]:
    """An export names who receives it and why; both are required and kept in the log."""
    errors, clean = {}, []
    for name, value, limit in (("recipient", recipient, 200), ("purpose", purpose, 2000)):
        value = (value or "").strip()
        if len(value) < 3 or len(value) > limit or any(ord(c) < 32 and c not in "\t" for c in value):
            errors[name] = f"required: 3-{limit} characters on one line"
        clean.append(value)
    if errors:
        raise ValidationError(errors)
    return clean[0], clean[1]


def record_export(
    uow: UnitOfWork,
    cw: Casework,
    actor: Actor,
    *,
    case: tuple[int, str] | None,
    scope: dict[str, Any],
    fmt: str,
    recipient: str,
    purpose: str,
    cases: int,
) -> None:
    """The disclosure event of an export; the caller commits it before any byte leaves."""
    (case_id, state), at = case or (None, None), cw.now()
    uow.record(
        "exported",
        at=at,
        actor=actor.username,
        role=actor.role_label,
        case=case_id,
        from_state=state,
        to_state=state,
        data={**scope, "format": fmt, "recipient": recipient, "purpose": purpose, "cases": cases},
    )
    if scope.get("references"):  # a list's export, found in each listed case's log as its views are
        index_listed(uow, scope["references"], at, actor.username)


@dataclass(frozen=True)
class Disclosure:
    seq: int
    at: datetime
    actor: str
    role: str | None
    action: str
    reference: str | None
    via: str | None
    what: str
    recipient: str | None
    purpose: str | None
    format: str | None

    @classmethod
    def of(cls, event: CaseEvent, reference: str | None) -> Disclosure:
        data = event.data or {}
        if data.get("scope") == "period":
            what = f"{data.get('force')} cases detected {data.get('from')} to {data.get('to')}"
        elif data.get("scope") in LIST_SCOPES:
            shown = data.get("references") or []
            what = f"{LIST_SCOPES[data['scope']]}: {len(shown)} case(s), {', '.join(shown[:5])}" + (
                "…" if len(shown) > 5 else ""
            )
        else:
            what = reference or data.get("reference") or "-"
        return cls(
            event.seq,
            event.at,
            event.actor,
            event.role,
            event.action,
            reference,
            data.get("via"),
            what,
            data.get("recipient"),
            data.get("purpose"),
            data.get("format"),
        )


def for_case(cw: Casework, actor: Actor, reference: str, limit: int = MAX_LISTED) -> list[Disclosure]:
    """The newest `limit` views and exports of one case, including period exports that covered it; newest first."""
    require_auditor(actor, "reading the disclosure log")
    with cw.reader() as uow:
        case = case_in_force(uow.session, actor, reference)
        own = uow.session.execute(
            select(CaseEvent)
            .where(col(CaseEvent.case_id) == case.id, col(CaseEvent.action).in_(ACTIONS))
            .order_by(col(CaseEvent.seq).desc())
            .limit(limit)
        ).scalars()
        # Off the action index: the case_id index's NULL range holds every list consultation, one a page view
        # (`case_id + 0` is no column an index holds, so the planner keeps off it).
        periods = uow.session.execute(
            select(CaseEvent).where(col(CaseEvent.action) == "exported", (col(CaseEvent.case_id) + 0).is_(None))
        ).scalars()
        listings = uow.session.execute(_listings_naming(reference)).scalars()
        found = [Disclosure.of(e, reference) for e in own]
        found += [Disclosure.of(e, None) for e in periods if _covers(e.data, case)]
        found += [Disclosure.of(e, reference) for e in listings if reference in (e.data or {}).get("references", ())]
    return sorted(found, key=lambda d: d.seq, reverse=True)[:limit]


def by_user(cw: Casework, actor: Actor, username: str) -> list[Disclosure]:
    """Every view and export by one user, on cases of the forces the auditor audits; newest first."""
    require_auditor(actor, "reading the disclosure log")
    username = (username or "").strip().lower()
    with cw.reader() as uow:
        rows = uow.session.execute(
            select(CaseEvent, col(Case.reference), col(Case.force))
            .outerjoin(Case, col(Case.id) == col(CaseEvent.case_id))
            .where(
                col(CaseEvent.actor) == username,
                col(CaseEvent.action).in_(ACTIONS),
                or_(col(Case.force).in_(sorted(actor.forces)), col(CaseEvent.case_id).is_(None)),
            )
            .order_by(col(CaseEvent.seq).desc())
            .limit(MAX_LISTED)
        ).all()
    return [
        Disclosure.of(event, reference)
        for event, reference, force in rows
        if force is not None
        or (event.data or {}).get("force") in actor.forces
        or set((event.data or {}).get("forces") or ()) & actor.forces
    ]


def _listings_naming(reference: str) -> Select[CaseEvent]:
    """The newest lists (views and exports) that showed this case, off `listed_cases`: the events name their
    cases in JSON, which no index covers. Another list the same actor was shown at the same instant comes
    too, and the caller keeps only the events that name the case."""
    same_event = and_(col(ListedCase.at) == col(CaseEvent.at), col(ListedCase.actor) == col(CaseEvent.actor))
    return (
        select(CaseEvent)
        .join(ListedCase, same_event)
        .where(col(ListedCase.reference) == reference)
        .where(col(CaseEvent.case_id).is_(None), col(CaseEvent.action).in_(ACTIONS))
        .order_by(col(ListedCase.at).desc())
        .limit(MAX_LISTED)
    )


def _covers(data: dict[str, Any], case: Case) -> bool:
    if data.get("scope") != "period" or data.get("force") != case.force:
        return False
    try:
        start, end = datetime.fromisoformat(data["starts"]), datetime.fromisoformat(data["ends"])
    except (KeyError, TypeError, ValueError):
        return False
    return start <= case.detected_at < end
