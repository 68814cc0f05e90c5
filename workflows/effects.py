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


def assign_actor(action: Action) -> None:
    action.case.assignee_id = action.actor_id


def unassign(action: Action) -> None:
    action.case.assignee_id = None


def assign_referrer(action: Action) -> None:
    _keep_inputs(action)
    action.case.assignee_id = action.case.referred_by_id


def record_dismissal(action: Action) -> None:
    _keep_inputs(action)
    action.case.outcome = "dismissed"


def record_referral(action: Action) -> None:
    _keep_inputs(action)
    action.case.referred_by_id = action.actor_id
    action.case.threat_to_life = bool(action.inputs.get("threat_to_life"))


def record_moderation(action: Action) -> None:
    _keep_inputs(action)
    action.case.outcome = "moderated"


def record_advice(action: Action) -> None:
    _keep_inputs(action)
    action.case.advised_by_id = action.actor_id
    action.case.outcome = action.inputs["outcome"]


def record_closure(action: Action) -> None:
    _keep_inputs(action)


def close_case(action: Action) -> None:
    action.case.closed_at = action.at
    action.case.assignee_id = None


def reopen_case(action: Action) -> None:
    _keep_inputs(action)
    action.case.closed_at = None
    action.case.outcome = None
    action.case.advised_by_id = None
    action.case.assignee_id = None
