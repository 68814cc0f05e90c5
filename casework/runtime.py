"""The core as one object: settings, database, clock, workflow, and the reactions run in each transaction.

It wires nothing itself: `casework.bootstrap` builds it with the handlers, so no capability module
imported here can import this one back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from casework.clock import Clock
from casework.config import Settings
from casework.events import CaseChanged
from casework.storage.uow import UnitOfWork
from workflows.engine import WorkflowEngine
from workflows.spec import Workflow

Handler = Callable[[UnitOfWork, CaseChanged, "Casework"], None]
# A further check `audit verify` runs as part of a recorded verification: None, or what is wrong.
RecordCheck = Callable[[Session], str | None]


@dataclass
class Casework:
    settings: Settings
    engine: Engine
    clock: Clock
    flow: WorkflowEngine
    handlers: list[Handler] = field(default_factory=list)
    record_checks: list[RecordCheck] = field(default_factory=list)  # e.g. evidence bytes re-hashed

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
