"""What each transition writes onto the case, besides its state. Called with the action's context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class Action:
    """The action being applied: who, with which clean inputs, when."""

    case: Any
    trigger: str
    actor_id: int | None
    inputs: dict[str, Any]
    at: datetime


def _keep_inputs(action: Action) -> None:
    # Reassign, not mutate: JSON columns only notice a new value.
    action.case.stage_inputs = {**(action.case.stage_inputs or {}), action.trigger: action.inputs}


def _remember(ids: list[int] | None, actor_id: int | None) -> list[int]:
    """The list with the actor added once (a new list, so the JSON column sees the change)."""
    known = list(ids or [])
    return known if actor_id is None or actor_id in known else [*known, actor_id]


def assign_actor(action: Action) -> None:
    action.case.assignee_id = action.actor_id


def unassign(action: Action) -> None:
    action.case.assignee_id = None


def assign_referrer(action: Action) -> None:
    """The question goes back to whoever referred last, and stays open until a re-referral answers it."""
    _keep_inputs(action)
    action.case.open_question = action.inputs["question"]
    action.case.assignee_id = action.case.referred_by_id


def record_dismissal(action: Action) -> None:
    _keep_inputs(action)
    action.case.open_question = None
    action.case.outcome = "dismissed"


def record_referral(action: Action) -> None:
    _keep_inputs(action)
    action.case.referred_by_id = action.actor_id
    action.case.referrer_ids = _remember(action.case.referrer_ids, action.actor_id)
    action.case.open_question = None
    action.case.threat_to_life = bool(action.inputs.get("threat_to_life"))


def record_moderation(action: Action) -> None:
    _keep_inputs(action)
    action.case.open_question = None
    action.case.outcome = "moderated"


def record_advice(action: Action) -> None:
    _keep_inputs(action)
    action.case.advised_by_id = action.actor_id
    action.case.adviser_ids = _remember(action.case.adviser_ids, action.actor_id)
    action.case.outcome = action.inputs["outcome"]


def record_closure(action: Action) -> None:
    _keep_inputs(action)


def close_case(action: Action) -> None:
    action.case.closed_at = action.at
    action.case.assignee_id = None


def reopen_case(action: Action) -> None:
    """Live work again; who referred and who advised stay remembered in `referrer_ids`/`adviser_ids`."""
    _keep_inputs(action)
    action.case.closed_at = None
    action.case.outcome = None
    action.case.advised_by_id = None
    action.case.assignee_id = None
