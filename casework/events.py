"""Domain events: what happened to a case, published inside the action's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from casework.access.actors import Actor


@dataclass(frozen=True)
class ClockRun:
    """An SLA clock run a change started or stopped, as the clock keeper wrote it, for the handlers after it."""

    name: str
    force: str
    started_at: datetime
    due_at: datetime
    stopped_at: datetime | None = None  # None: this change started it
    breached_before: bool = False  # a sweep had recorded its breach before this change stopped it


@dataclass(frozen=True)
class CaseChanged:
    """Published inside the action's transaction so reactions (clocks, outbox) commit with it."""

    kind: str  # flagged | reflagged | transitioned | assigned | commented | sla_warning | sla_breach
    case: Any
    actor: Actor
    at: datetime
    trigger: str | None = None
    source: str | None = None
    dest: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    previous_assignee_id: int | None = None  # who held the case before this change (a transition may clear it)
    previous_threat_to_life: bool | None = None  # the flag before this change (None: not known)
    # filled by the clock keeper, which runs first; a warning or breach names the run it marked
    clock_runs: list[ClockRun] = field(default_factory=list)
