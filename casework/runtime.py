"""The wired application core: settings, database, clock, workflow and in-transaction reactions."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy.engine import Engine

from casework.actors import Actor
from casework.clock import Clock, SystemClock
from casework.config import Settings
from casework.db import make_engine
from casework.uow import UnitOfWork
from workflows import A017
from workflows.engine import WorkflowEngine
from workflows.spec import Workflow


@dataclass(frozen=True)
class CaseChanged:
    """Published inside the action's transaction so reactions (clocks, outbox) commit with it."""

    kind: str  # flagged | reflagged | transitioned | assigned
    case: Any
    actor: Actor
    at: datetime
    trigger: str | None = None
    source: str | None = None
    dest: str | None = None
    inputs: dict = field(default_factory=dict)


Handler = Callable[[UnitOfWork, CaseChanged, "Casework"], None]


@dataclass
class Casework:
    settings: Settings
    engine: Engine
    clock: Clock
    flow: WorkflowEngine
    handlers: list[Handler] = field(default_factory=list)

    @property
    def workflow(self) -> Workflow:
        return self.flow.workflow

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def reader(self) -> UnitOfWork:
        """A read-only unit of work: on SQLite it does not take the write lock."""
        return UnitOfWork(self.engine.execution_options(casework_readonly=True))

    def now(self) -> datetime:
        return self.clock.now()

    def publish(self, uow: UnitOfWork, change: CaseChanged) -> None:
        for handler in self.handlers:
            handler(uow, change, self)

    def system_actor(self, part: str) -> Actor:
        return Actor.system(part, self.settings.forces)


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None,
              engine: Engine | None = None) -> Casework:
    """Wire the core once per process (or per test)."""
    from casework.sla.clocks import ClockKeeper  # imported here: the SLA modules import this one

    settings = settings or Settings.from_env()
    return Casework(
        settings=settings,
        engine=engine or make_engine(settings.database_url),
        clock=clock or SystemClock(),
        flow=WorkflowEngine(A017),
        handlers=[ClockKeeper(settings, A017).on_case_changed],
    )
