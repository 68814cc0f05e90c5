"""Per-force SLA targets: the declaration's defaults, overridden by `[forces.<code>.sla.<clock>]` tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from numbers import Real
from typing import Any, cast

from casework.config import Settings
from casework.errors import ValidationError
from casework.sla.calendars import CALENDARS, calendar_duration
from workflows.spec import ClockSpec, Workflow

WARN_FRACTION = 0.75
MAX_TARGET_HOURS = 24 * 366
_KEYS = {"target_hours", "calendar", "threat_to_life_target_hours"}


@dataclass(frozen=True)
class Target:
    """One clock's target for one force, in its calendar's own time (office hours for `office_hours`)."""

    clock: ClockSpec
    calendar: str
    duration: timedelta
    threat_to_life_duration: timedelta | None = None

    def for_case(self, threat_to_life: bool) -> timedelta:
        if threat_to_life and self.threat_to_life_duration is not None:
            return self.threat_to_life_duration
        return self.duration


@dataclass(frozen=True)
class Policy:
    """Targets by (force, clock name); built and checked once, at start-up."""

    targets: dict[tuple[str, str], Target]

    def target(self, force: str, clock: str) -> Target:
        return self.targets[(force, clock)]

    @classmethod
    def load(cls, settings: Settings, workflow: Workflow) -> Policy:
        errors: dict[str, str] = {}
        targets: dict[tuple[str, str], Target] = {}
        for code, force in settings.forces.items():
            overrides = force.extra.get("sla", {})
            where = f"forces.{code}.sla"
            if not isinstance(overrides, dict):
                errors[where] = "must be a table of clocks"
                continue
            known = {c.name for c in workflow.clocks}
            for name in sorted(set(overrides) - known):
                errors[f"{where}.{name}"] = f"unknown clock; the clocks are: {', '.join(sorted(known))}"
            for spec in workflow.clocks:
                target = _target(spec, overrides.get(spec.name, {}), f"{where}.{spec.name}", errors)
                if target is not None:  # None only with an error recorded, so the load fails below
                    targets[(code, spec.name)] = target
        if errors:
            raise ValidationError(errors, "SLA configuration: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
        return cls(targets)


def _hours(value: object, where: str, errors: dict[str, str]) -> timedelta | None:
    hours = cast(float, value)  # used only once it is a Real: numbers.Real has no comparisons in its stubs
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < hours <= MAX_TARGET_HOURS:
        errors[where] = f"must be a number of hours above 0 and at most {MAX_TARGET_HOURS}, not {value!r}"
        return None
    return timedelta(hours=hours)


def _target(spec: ClockSpec, table: Any, where: str, errors: dict[str, str]) -> Target | None:
    """The declared target with this force's overrides; hours given in TOML are already calendar time."""
    if not isinstance(table, dict):
        errors[where] = "must be a table with target_hours, calendar or threat_to_life_target_hours"
        return None
    for key in sorted(set(table) - _KEYS):
        errors[f"{where}.{key}"] = f"unknown setting; use {', '.join(sorted(_KEYS))}"
    name = table.get("calendar", spec.calendar)
    if name not in CALENDARS:
        errors[f"{where}.calendar"] = f"must be one of {', '.join(CALENDARS)}, not {name!r}"
        return None
    duration: timedelta | None = calendar_duration(name, spec.target)
    if "target_hours" in table:
        duration = _hours(table["target_hours"], f"{where}.target_hours", errors)
    threat = spec.threat_to_life_target and calendar_duration(name, spec.threat_to_life_target)
    if "threat_to_life_target_hours" in table:
        if spec.threat_to_life_target is None:
            errors[f"{where}.threat_to_life_target_hours"] = f"the {spec.name} clock has no threat-to-life target"
        else:
            threat = _hours(table["threat_to_life_target_hours"], f"{where}.threat_to_life_target_hours", errors)
    if duration and threat and threat > duration:
        errors[f"{where}.threat_to_life_target_hours"] = "must not be longer than the clock's target"
    if duration is None:  # _hours recorded why
        return None
    return Target(spec, name, duration, threat)  # only kept when `errors` stays empty
