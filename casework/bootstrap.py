"""The composition root: the one place that wires the core's reactions (clocks, retention, outbox)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from casework.audit import retention
from casework.cases import search_index, tallies
from casework.clock import Clock, SystemClock
from casework.config import Settings
from casework.errors import ValidationError
from casework.evidence import capture, integrity, redaction
from casework.notify import outbox
from casework.runtime import Casework
from casework.sla.clocks import ClockKeeper
from casework.sla.policy import Policy
from casework.storage.db import make_engine
from workflows import A017
from workflows.engine import WorkflowEngine


def bootstrap(
    settings: Settings | None = None, *, clock: Clock | None = None, engine: Engine | None = None
) -> Casework:
    """Wire the core once per process (or per test)."""
    settings = settings or Settings.from_env()
    check_settings(settings)
    return Casework(
        settings=settings,
        engine=engine or make_engine(settings.database_url),
        clock=clock or SystemClock(),
        flow=WorkflowEngine(A017),
        handlers=[
            ClockKeeper(settings, A017).on_case_changed,
            tallies.on_case_changed,  # after the clocks: reads the runs this change started or stopped
            search_index.on_case_changed,
            retention.on_case_changed,
            redaction.on_case_changed,
            capture.on_case_changed,
            outbox.Outbox().on_case_changed,
        ],
        record_checks=[integrity.problem],  # a recorded verification re-hashes the evidence too
    )


def settings_problems(settings: Settings) -> dict[str, str]:
    """Every problem in the forces' settings (SLA targets, retention rules), so start-up fails, not a close."""
    problems: dict[str, str] = {}
    for force in settings.forces.values():
        problems.update(retention.retention_problems(force))
    try:
        Policy.load(settings, A017)
    except ValidationError as exc:
        problems.update(exc.errors)
    return problems


def check_settings(settings: Settings) -> None:
    if problems := settings_problems(settings):
        raise ValidationError(
            problems,
            "forces' SLA configuration and retention rules: " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
        )
