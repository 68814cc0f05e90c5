"""Acting on many cases at once: each case is its own action, with its own transaction, event and version check.

A refusal or a conflict on one case stops nothing else; the result says, per case, what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from casework.access.actors import Actor
from casework.cases import actions
from casework.errors import CaseworkError, ConcurrentUpdate, ValidationError
from casework.runtime import Casework

MAX_CASES = 200
ASSIGN = "assign"


@dataclass(frozen=True)
class Target:
    reference: str
    version: int


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)
    conflicts: list[tuple[str, int | None]] = field(default_factory=list)  # (reference, its version now)


def check_targets(raw: list[Any], cap: int = MAX_CASES) -> list[Target]:
    """Cases as [{"reference", "version"}], at most `cap`, each once."""
    if not raw:
        raise ValidationError({"cases": "choose at least one case"})
    if len(raw) > cap:
        raise ValidationError(
            {"cases": f"at most {cap} cases at once; you chose {len(raw)}. Narrow the list and act on it in parts"}
        )
    targets, seen = [], set()
    for n, item in enumerate(raw):
        ref = item.get("reference") if isinstance(item, dict) else None
        version = item.get("version") if isinstance(item, dict) else None
        if not isinstance(ref, str) or not 1 <= len(ref) <= 40:
            raise ValidationError({f"cases[{n}].reference": "required: the case's reference"})
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValidationError({f"cases[{n}].version": "required: the version you loaded (a whole number from 1)"})
        if ref in seen:
            raise ValidationError({f"cases[{n}].reference": f"{ref} is listed twice"})
        seen.add(ref)
        targets.append(Target(ref, version))
    return targets


def check_trigger(cw: Casework, trigger: str) -> None:
    if trigger != ASSIGN and cw.workflow.transition(trigger) is None:
        steps = ", ".join([ASSIGN, *(t.trigger for t in cw.workflow.transitions)])
        raise ValidationError({"trigger": f"unknown step {trigger!r}; one of {steps}"})


def apply_to_many(
    cw: Casework, actor: Actor, trigger: str, inputs: dict[str, Any], targets: list[Target], cap: int = MAX_CASES
) -> BulkResult:
    """Fire `trigger` (or assign) on each case in turn; every refusal is recorded as a single action's would be."""
    check_trigger(cw, trigger)
    if len(targets) > cap:
        raise ValidationError({"cases": f"at most {cap} cases at once; you chose {len(targets)}"})
    result = BulkResult()
    for target in targets:
        try:
            if trigger == ASSIGN:
                actions.assign(cw, actor, target.reference, inputs.get("assignee") or None, target.version)
            else:
                actions.apply_trigger(cw, actor, target.reference, trigger, inputs, target.version)
        except ConcurrentUpdate as exc:
            result.conflicts.append((target.reference, exc.details.get("current_version")))
        except CaseworkError as exc:
            result.refused.append((target.reference, exc.message))
        else:
            result.done.append(target.reference)
    return result
