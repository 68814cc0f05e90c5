"""A case as it stood at any past moment, rebuilt by replaying its events through the workflow's own effects.

Clocks are rebuilt from the workflow's clock declarations (start and stop markers, one run per start)
and from the SLA engine's `sla_warning` / `sla_breach` events. A 24x7 deadline is computed here; an
office-hours deadline is known only once the SLA engine recorded an event carrying it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlmodel import col

from casework.access.actors import Actor
from casework.audit import disclosure
from casework.cases.consultation import VIEWED
from casework.cases.queries import case_in_force
from casework.clock import ensure_utc
from casework.storage.tables import CaseEvent, User
from workflows.effects import Action
from workflows.spec import Workflow

if TYPE_CHECKING:
    from casework.runtime import Casework

VIEW_ROLES = frozenset({"auditor", "supervisor"})


@dataclass
class ClockState:
    name: str
    label: str
    started_at: datetime
    run: int = 1
    stopped_at: datetime | None = None
    due_at: datetime | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.stopped_at is None


@dataclass
class Replay:
    """The fields of a case the events determine, as the workflow effects write them."""

    platform: str
    force: str
    state: str | None = None
    assignee_id: int | None = None
    outcome: str | None = None
    threat_to_life: bool = False
    referred_by_id: int | None = None
    advised_by_id: int | None = None
    referrer_ids: list[int] = field(default_factory=list)
    adviser_ids: list[int] = field(default_factory=list)
    open_question: str | None = None
    closed_at: datetime | None = None
    stage_inputs: dict[str, Any] = field(default_factory=dict)
    legal_hold: bool = False
    author_redacted_at: datetime | None = None
    text_redacted_at: datetime | None = None
    clocks: dict[str, ClockState] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseAsAt:
    reference: str
    as_at: datetime
    replay: Replay
    events: list[CaseEvent]  # every event up to that moment but views
    users: dict[int, str]
    views: int = 0  # views up to that moment: each is an event, and a much-viewed case has thousands

    @property
    def existed(self) -> bool:
        return self.replay.state is not None

    def username(self, user_id: int | None) -> str | None:
        return self.users.get(user_id) if user_id is not None else None


def case_as_at(cw: Casework, actor: Actor, reference: str, as_at: datetime) -> CaseAsAt:
    """Replay the case's events up to and including `as_at`; its views (which change nothing) are counted."""
    if not actor.roles & VIEW_ROLES:
        disclosure.require_auditor(actor, "seeing a case as it stood")
    as_at = ensure_utc(as_at)
    with cw.reader() as uow:
        case = case_in_force(uow.session, actor, reference)
        until = (col(CaseEvent.case_id) == case.id, col(CaseEvent.at) <= as_at)
        events = list(
            uow.session.execute(
                select(CaseEvent).where(*until, col(CaseEvent.action) != VIEWED).order_by(col(CaseEvent.seq))
            ).scalars()
        )
        views = uow.session.execute(
            select(func.count()).select_from(CaseEvent).where(*until, col(CaseEvent.action) == VIEWED)
        ).scalar_one()
        users = {u.id: u.username for u in uow.session.execute(select(User)).scalars()}
    replay = replay_events(cw.workflow, Replay(case.platform, case.force), events, {v: k for k, v in users.items()})
    return CaseAsAt(reference, as_at, replay, events, users, views)


def replay_events(workflow: Workflow, replay: Replay, events: Sequence[Any], user_ids: dict[str, int]) -> Replay:
    """Apply `events` (CaseEvent objects or rows with the same columns) in order."""
    for event in events:
        data = event.data or {}
        if event.action == "flagged":
            replay.state = event.to_state
            _clocks(workflow, replay, {"intake", f"enter:{event.to_state}"}, event.at)
        elif event.action == "transition":
            spec = workflow.transition(data.get("trigger", ""))
            if spec is None:
                raise LookupError(f"event seq {event.seq}: the workflow has no transition {data.get('trigger')!r}")
            action = Action(replay, spec.trigger, user_ids.get(event.actor), data.get("inputs") or {}, event.at)
            for effect in spec.effects:
                effect(action)
            replay.state = event.to_state
            _clocks(
                workflow,
                replay,
                {f"leave:{event.from_state}", f"trigger:{spec.trigger}", f"enter:{event.to_state}"},
                event.at,
            )
            if "threat_to_life" in action.inputs:
                _retarget(workflow, replay, bool(action.inputs["threat_to_life"]), event.at)
        elif event.action == "assigned":
            replay.assignee_id = user_ids.get(data["assignee"]) if data.get("assignee") else None
        elif event.action in ("legal_hold_set", "legal_hold_lifted"):
            replay.legal_hold = event.action == "legal_hold_set"
        elif event.action == "redacted":
            replay.author_redacted_at = replay.author_redacted_at or event.at
            if "text" in data.get("fields", ()):
                replay.text_redacted_at = event.at
        elif event.action in ("sla_warning", "sla_breach") and data.get("clock") in replay.clocks:
            _sla_mark(replay.clocks[data["clock"]], event.action, data, event.at)
    return replay


def _sla_mark(clock: ClockState, action: str, data: dict[str, Any], at: datetime) -> None:
    """A warning or breach the SLA engine recorded for this run; it also tells an office-hours deadline."""
    if data.get("run", clock.run) != clock.run:
        return
    setattr(clock, "warned_at" if action == "sla_warning" else "breached_at", at)
    try:
        clock.due_at = datetime.fromisoformat(data["due_at"])
    except (KeyError, TypeError, ValueError):
        pass


def _clocks(workflow: Workflow, replay: Replay, markers: set[str], at: datetime) -> None:
    """Stop the clocks these markers stop, then start (or restart) those they start."""
    for spec in workflow.clocks:
        clock = replay.clocks.get(spec.name)
        if clock is not None and clock.running and markers & set(spec.stops_on):
            clock.stopped_at = at
        if markers & set(spec.starts_on) and (clock is None or not clock.running):
            started = ClockState(spec.name, spec.label, at, run=clock.run + 1 if clock else 1)
            started.due_at = at + spec.target if spec.calendar == "24x7" else None
            replay.clocks[spec.name] = started


def _retarget(workflow: Workflow, replay: Replay, threat_to_life: bool, at: datetime) -> None:
    """As the SLA engine does: a threat-to-life referral brings a deadline forward, never later."""
    for spec in workflow.clocks:
        clock = replay.clocks.get(spec.name)
        if clock is None or not clock.running or spec.threat_to_life_target is None or spec.calendar != "24x7":
            continue
        if clock.breached_at is not None:
            continue  # a recorded breach is history: its deadline stays
        ordinary = clock.started_at + spec.target
        clock.due_at = min(clock.due_at or ordinary, at + spec.threat_to_life_target) if threat_to_life else ordinary
