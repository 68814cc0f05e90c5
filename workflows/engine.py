"""One shared `transitions` machine per workflow, bound to a case only while an action runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from transitions import EventData, Machine, MachineError

from workflows.effects import Action
from workflows.spec import Guard, GuardContext, TransitionSpec, Workflow


def _guard_condition(guard: Guard) -> Callable[[EventData], bool]:
    return lambda event: guard(event.kwargs["ctx"]) is None


def _effect_callback(effect: Callable[..., None]) -> Callable[[EventData], None]:
    return lambda event: effect(event.kwargs["action"])


@dataclass(frozen=True)
class Refusal:
    """Why a trigger cannot be used now."""

    trigger: str
    reason: str
    kind: str  # "state" | "role" | "guard" | "unknown"


class WorkflowEngine:
    """Runs a declaration: what may happen to a case now, and making it happen."""

    def __init__(self, workflow: Workflow):
        self.workflow = workflow

    @cached_property
    def machine(self) -> Machine:
        return Machine(
            model=None,
            states=[s.name for s in self.workflow.states],
            initial=self.workflow.initial,
            transitions=[
                {
                    "trigger": t.trigger,
                    "source": t.source,
                    "dest": t.dest,
                    "conditions": [_guard_condition(g) for g in t.guards],
                    "before": [_effect_callback(e) for e in t.effects],
                }
                for t in self.workflow.transitions
            ],
            auto_transitions=False,
            send_event=True,
        )

    def refusal(self, trigger: str, ctx: GuardContext) -> Refusal | None:
        """Check state, role and guards (not inputs); None when the trigger may be used."""
        spec = self.workflow.transition(trigger)
        if spec is None:
            known = ", ".join(self.workflow.triggers)
            return Refusal(trigger, f"unknown trigger {trigger!r}; the workflow has: {known}", "unknown")
        if spec.source != ctx.case.state:
            allowed = ", ".join(t.trigger for t in self.workflow.from_state(ctx.case.state)) or "none"
            return Refusal(
                trigger, f"{trigger} is not possible in state {ctx.case.state}; possible there: {allowed}", "state"
            )
        if not spec.roles & ctx.actor_roles:
            return Refusal(trigger, f"{trigger} needs the role {' or '.join(sorted(spec.roles))}", "role")
        for guard in spec.guards:
            if reason := guard(ctx):
                return Refusal(trigger, reason, "guard")
        return None

    def available(self, ctx: GuardContext) -> list[TransitionSpec]:
        """The transitions this actor may use on this case now, in declaration order."""
        return [t for t in self.workflow.from_state(ctx.case.state) if self.refusal(t.trigger, ctx) is None]

    def fire(self, action: Action, ctx: GuardContext) -> None:
        """Apply the trigger through the shared machine; the caller has checked it is allowed."""
        event = self.machine.events[action.trigger]
        try:
            done = event.trigger(action.case, ctx=ctx, action=action)
        except MachineError as exc:  # state changed under us: the caller's checks were stale
            raise RuntimeError(str(exc)) from exc
        if not done:
            raise RuntimeError(f"{action.trigger}: a guard refused after the check passed")
