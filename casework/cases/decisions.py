"""The decisions thread of a case: every referral, question, answer, advice and closure, in order.

`stage_inputs` keeps only the latest input of each step; the thread is read from the hash-chained
transition events, so a re-referral never hides the first one and the answer to the Crime Bureau's
question has a place of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from casework.runtime import Casework
from casework.storage.tables import CaseEvent

KINDS = {
    "refer": "referral",
    "request_information": "question",
    "give_advice": "advice",
    "moderate": "moderation",
    "dismiss": "dismissal",
    "close": "closure",
    "reopen": "reopening",
}  # start_review decides nothing


@dataclass(frozen=True)
class Decision:
    seq: int  # the event it comes from
    kind: str  # referral | question | answer | advice | moderation | dismissal | closure | reopening
    trigger: str
    at: datetime
    actor: str
    role: str | None
    inputs: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "trigger": self.trigger,
            "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "actor": self.actor,
            "role": self.role,
            "inputs": self.inputs,
        }


def thread(events: Iterable[CaseEvent]) -> list[Decision]:
    """The decisions among a case's events (oldest first); a re-referral's answer comes just before it."""
    found = []
    for event in events:
        data = event.data or {}
        kind = KINDS.get(data.get("trigger", "")) if event.action == "transition" else None
        if kind is None:
            continue
        inputs = dict(data.get("inputs") or {})
        trigger = data["trigger"]
        if "answer" in inputs:
            answer = {"answer": inputs.pop("answer")}
            found.append(Decision(event.seq, "answer", trigger, event.at, event.actor, event.role, answer))
        found.append(Decision(event.seq, kind, trigger, event.at, event.actor, event.role, inputs))
    return found


def case_thread(cw: Casework, case_id: int) -> list[Decision]:
    """The thread of a case the caller may already read (its force checked by the caller)."""
    with cw.reader() as uow:
        events = uow.session.execute(
            select(CaseEvent)
            .where(col(CaseEvent.case_id) == case_id, col(CaseEvent.action) == "transition")
            .order_by(col(CaseEvent.seq))
        ).scalars()
        return thread(events)
