"""The JSON shapes of the API: cases, evidence, events. JSON is data; escaping is the client's job."""

from __future__ import annotations

from datetime import datetime

from flask import url_for

from casework.cases.decisions import Decision
from casework.cases.queries import CaseDetail
from casework.storage.tables import Case, CaseEvent, Comment, User


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def case_summary(case: Case, assignee: User | None = None) -> dict:
    return {
        "reference": case.reference,
        "force": case.force,
        "platform": case.platform,
        "channel": case.channel,
        "external_id": case.external_id,
        "permalink": case.permalink,
        "state": case.state,
        "version": case.version,
        "assignee": assignee.username if assignee else None,
        "detected_at": iso(case.detected_at),
        "detected_by": case.detected_by,
        "flag_reason": case.flag_reason,
        "posted_at": iso(case.posted_at),
        "threat_to_life": case.threat_to_life,
        "outcome": case.outcome,
        "closed_at": iso(case.closed_at),
        "updated_at": iso(case.updated_at),
        "links": {
            "self": url_for("api.get_case", reference=case.reference),
            "history": url_for("api.case_history", reference=case.reference),
            "transitions": url_for("api.post_transition", reference=case.reference),
        },
    }


def evidence(comment: Comment | None) -> dict | None:
    if comment is None:
        return None
    return {
        "text": comment.text,
        "author_id": comment.author_id,
        "author_handle": comment.author_handle,
        "author_name": comment.author_name,
        "captured": comment.captured,
        "digest": comment.digest,
        "redacted_at": iso(comment.redacted_at),
    }


def _brief(case: Case) -> dict:
    return {"reference": case.reference, "state": case.state, "detected_at": iso(case.detected_at)}


def case_detail(detail: CaseDetail, triggers: list[dict], decisions: list[Decision]) -> dict:
    return {
        **case_summary(detail.case, detail.assignee),
        "evidence": evidence(detail.comment),
        "evidence_digest": detail.case.evidence_digest,
        "stage_inputs": detail.case.stage_inputs,
        "open_question": detail.case.open_question,
        "decisions": [d.as_dict() for d in decisions],
        "author_cases": [_brief(c) for c in detail.author_cases],
        "linked_cases": [_brief(c) for c in detail.linked],
        "available_triggers": triggers,
    }


def case_page(cases: list[Case], assignees: dict[int, User], per_page: int, after: str | None, links: dict) -> dict:
    """A keyset page of cases: `next` is the cursor of the following page (null on the last), no total."""
    return {
        "items": [case_summary(case, assignees.get(case.assignee_id) if case.assignee_id else None) for case in cases],
        "per_page": per_page,
        "next": after,
        "links": links,
    }


def event(e: CaseEvent) -> dict:
    return {
        "seq": e.seq,
        "at": iso(e.at),
        "actor": e.actor,
        "role": e.role,
        "action": e.action,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "data": e.data,
        "hash": e.hash,
    }
