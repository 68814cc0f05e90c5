"""The vocabulary of a workflow declaration: states, inputs, guards, transitions, clocks."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any, Protocol


class CaseView(Protocol):
    """What guards may read of a case."""

    state: str
    force: str
    platform: str
    referred_by_id: int | None
    advised_by_id: int | None
    referrer_ids: list[int]  # everyone who ever referred the case
    adviser_ids: list[int]  # everyone who ever advised on it, across reopens
    assignee_id: int | None
    open_question: str | None  # the Crime Bureau's question the administrator has yet to answer


@dataclass(frozen=True)
class GuardContext:
    """Everything a guard or a choice limit may consult; `inputs` is None when only peeking."""

    case: CaseView
    actor_id: int | None
    actor_roles: frozenset[str]
    force_nchi_enabled: bool = True
    inputs: dict[str, Any] | None = None


Guard = Callable[[GuardContext], "str | None"]
"""Returns None to allow, or the reason for refusing, in words a user understands."""


@dataclass(frozen=True)
class Condition:
    """`field` has `value` (a choice) or contains it (a multichoice)."""

    field: str
    values: frozenset[str]

    def holds(self, inputs: dict[str, Any]) -> bool:
        value = inputs.get(self.field)
        if isinstance(value, (list, tuple, set, frozenset)):
            return bool(self.values.intersection(value))
        return value in self.values


def when(field_name: str, *values: str) -> Condition:
    return Condition(field_name, frozenset(values))


@dataclass(frozen=True)
class Input:
    """One input a trigger takes, with how to check it."""

    name: str
    kind: str  # text | choice | multichoice | bool | reference
    label: str
    required: bool = True
    choices: tuple[str, ...] = ()
    required_when: Condition | None = None
    max_length: int = 5000
    help: str = ""
    limit_choices: Callable[[GuardContext], Iterable[str]] | None = None
    asked_when: Callable[[GuardContext], bool] | None = None  # offered (and then required) only when true

    def offered(self, ctx: GuardContext | None) -> bool:
        return self.asked_when is None or (ctx is not None and self.asked_when(ctx))

    def applies(self, inputs: dict[str, Any]) -> bool:
        return self.required_when is None or self.required_when.holds(inputs)

    def allowed_choices(self, ctx: GuardContext | None) -> tuple[str, ...]:
        if ctx is None or self.limit_choices is None:
            return self.choices
        allowed = set(self.limit_choices(ctx))
        return tuple(c for c in self.choices if c in allowed)


@dataclass(frozen=True)
class TransitionSpec:
    trigger: str
    source: str
    dest: str
    roles: frozenset[str]
    label: str
    inputs: tuple[Input, ...] = ()
    guards: tuple[Guard, ...] = ()
    effects: tuple[Callable[..., None], ...] = ()
    description: str = ""
    prefilled: bool = False  # a repeat (a re-referral) starts from the inputs given last time

    def input(self, name: str) -> Input:
        return next(i for i in self.inputs if i.name == name)


@dataclass(frozen=True)
class StateSpec:
    name: str
    label: str
    owner_role: str | None  # the team whose queue holds cases in this state
    final: bool = False


@dataclass(frozen=True)
class ClockSpec:
    """An SLA clock: started and stopped by workflow events, with a target on a calendar."""

    name: str
    label: str
    starts_on: tuple[str, ...]  # "intake", "enter:<state>" or "trigger:<name>"
    stops_on: tuple[str, ...]  # "leave:<state>", "trigger:<name>" or "enter:<state>"
    target: timedelta
    calendar: str = "24x7"
    threat_to_life_target: timedelta | None = None


@dataclass(frozen=True)
class Workflow:
    name: str
    states: tuple[StateSpec, ...]
    initial: str
    transitions: tuple[TransitionSpec, ...]
    clocks: tuple[ClockSpec, ...] = ()
    roles: tuple[str, ...] = ()
    _by_trigger: dict[str, TransitionSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        names = {s.name for s in self.states}
        for t in self.transitions:
            if t.source not in names or t.dest not in names:
                raise ValueError(f"{t.trigger}: unknown state in {t.source} -> {t.dest}")
            if t.trigger in self._by_trigger:
                raise ValueError(f"trigger {t.trigger} declared twice")
            self._by_trigger[t.trigger] = t
        if self.initial not in names:
            raise ValueError(f"unknown initial state {self.initial}")

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(self._by_trigger)

    @cached_property
    def finals(self) -> frozenset[str]:
        """The names of the final states (kept: hashing the workflow to look them up costs more than the action)."""
        return frozenset(s.name for s in self.states if s.final)

    def transition(self, trigger: str) -> TransitionSpec | None:
        return self._by_trigger.get(trigger)

    def state(self, name: str) -> StateSpec:
        return next(s for s in self.states if s.name == name)

    def from_state(self, state: str) -> tuple[TransitionSpec, ...]:
        return tuple(t for t in self.transitions if t.source == state)


_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{1,39}$")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def clean_inputs(
    spec: TransitionSpec, raw: dict[str, Any], ctx: GuardContext | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check raw inputs against the declaration; return (clean values, errors by field)."""
    errors: dict[str, str] = {}
    unknown = sorted(set(raw) - {i.name for i in spec.inputs})
    for name in unknown:
        errors[name] = f"{spec.trigger} takes no input {name!r}"
    clean: dict[str, Any] = {}
    for item in spec.inputs:  # conditions refer to earlier inputs, so order matters
        if not item.offered(ctx):
            if not _is_blank(raw.get(item.name)):
                errors[item.name] = f"{item.label} is not asked for now"
            continue
        if not item.applies(clean):
            continue
        value, error = _clean_one(item, raw.get(item.name), ctx)
        if error:
            errors[item.name] = error
        elif value is not None:
            clean[item.name] = value
    return clean, errors


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], ())


def _clean_one(item: Input, value: Any, ctx: GuardContext | None) -> tuple[Any, str | None]:
    if _is_blank(value):
        return (None, f"{item.label} is required") if item.required else (None, None)
    if item.kind in ("text", "reference"):
        if not isinstance(value, str):
            return None, f"{item.label} must be text"
        value = value.strip()
        if "\x00" in value:
            return None, f"{item.label} contains a NUL character"
        if len(value) > item.max_length:
            return None, f"{item.label} is longer than {item.max_length} characters"
        if item.kind == "reference" and not _REFERENCE.match(value):
            return None, f"{item.label} must be 2-40 letters, digits or / _ . -"
        return value, None
    if item.kind == "bool":
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE, None
        return None, f"{item.label} must be yes or no"
    allowed = item.allowed_choices(ctx)
    if item.kind == "choice":
        if not isinstance(value, str) or value not in allowed:
            return None, f"{item.label} must be one of: {', '.join(allowed)}"
        return value, None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        return None, f"{item.label} must be a list of: {', '.join(allowed)}"
    bad = [v for v in value if v not in allowed]
    if bad:
        return None, f"{item.label}: {', '.join(bad)} not allowed here; choose from: {', '.join(allowed)}"
    if not value:
        return (None, f"{item.label} needs at least one choice") if item.required else (None, None)
    return sorted(set(value), key=item.choices.index), None
