"""A unit of work: one transaction per action; its audit events are appended at commit, with the rest of it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from casework.storage import chain
from casework.storage.driver import Driver

log = logging.getLogger(__name__)


class UnitOfWork:
    """Rolls back unless `commit()` is called; events recorded here commit with the data or not at all."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._session: Session | None = None
        self._pending: list[tuple[Any, dict[str, Any]]] = []
        self._last: list[Callable[[], None]] = []
        self._connection: Connection | None = None
        self._driver: Driver | None = None

    @property
    def session(self) -> Session:
        """The open session; only inside `with uow:`."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._session

    @property
    def connection(self) -> Connection:
        """The session's connection, in the transaction (asked of the session once per transaction)."""
        if self._connection is None:
            self._connection = self.session.connection()
        return self._connection

    @property
    def driver(self) -> Driver:
        """The transaction's connection at the driver's level, for the statements every action runs."""
        if self._driver is None:
            self._driver = Driver(self.connection)
        return self._driver

    def __enter__(self) -> UnitOfWork:
        self._session = Session(self.engine, expire_on_commit=False)
        self._ended()
        return self

    def __exit__(self, *exc: object) -> None:
        # close() rolls back what was not committed and detaches the objects without expiring them,
        # so callers can still read what they loaded.
        self.session.close()

    def record(
        self,
        action: str,
        *,
        at: datetime,
        actor: str,
        role: str | None = None,
        case: Any = None,
        from_state: str | None = None,
        to_state: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Queue an audit event; the case may not have an id yet, so it is resolved at commit."""
        self._pending.append(
            (
                case,
                {
                    "at": at,
                    "actor": actor,
                    "role": role,
                    "action": action,
                    "from_state": from_state,
                    "to_state": to_state,
                    "data": data or {},
                },
            )
        )

    def at_commit(self, write: Callable[[], None]) -> None:
        """Run `write` just before the events are appended: for rows every writer updates (summary counts).

        On PostgreSQL such a row stays locked until the commit, so it is taken as late as possible,
        and an action still working holds no lock another writer waits on.
        """
        self._last.append(write)

    def commit(self) -> None:
        self.session.flush()  # case rows first, so that ids exist and the events can name them
        for write in self._last:
            write()
        events = [chain.NewEvent(case_id=getattr(case, "id", case), **fields) for case, fields in self._pending]
        queued = chain.append(self.driver, events)
        self.session.commit()
        self._ended()
        if queued:
            self._link()

    def _link(self) -> None:
        """Link what this commit queued; the action stands if that fails (the next writer or the job links)."""
        try:
            chain.link_pending(self.engine)
        except DBAPIError as exc:
            log.warning("events committed, not linked yet (the next writer or the audit.link job will): %s", exc)

    def rollback(self) -> None:
        self.session.rollback()
        self._ended()

    def _ended(self) -> None:
        """Forget the transaction's queued work and its connection (the session hands out another)."""
        self._pending, self._last, self._connection, self._driver = [], [], None, None
