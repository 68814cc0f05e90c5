"""A unit of work: one transaction per action; its audit events are appended at commit, with the rest of it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from casework.storage import chain
from casework.storage.driver import Driver

log = logging.getLogger(__name__)
Kept = TypeVar("Kept")


class UnitOfWork:
    """Rolls back unless `commit()` is called; events recorded here commit with the data or not at all.

    The transaction lives on a connection of the engine's pool; an ORM session is made on that
    connection only when something asks for one. The actions every user takes go to the driver
    (`casework.storage.driver`) and never pay for a session.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self._open = False
        self._bound: Connection | None = None
        self._session: Session | None = None
        self._pending: list[tuple[Any, dict[str, Any]]] = []
        self._last: list[Callable[[], None]] = []
        self._kept: dict[Any, Any] = {}
        self._driver: Driver | None = None

    @property
    def connection(self) -> Connection:
        """The connection, in the transaction (both taken on first use, and again after a commit)."""
        if not self._open:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        if self._bound is None:
            self._bound = self.engine.connect()
            self._bound.begin()
        return self._bound

    @property
    def session(self) -> Session:
        """An ORM session in the same transaction, which it commits and rolls back; only inside `with uow:`."""
        if self._session is None:
            self._session = Session(self.connection, expire_on_commit=False, join_transaction_mode="control_fully")
        return self._session

    @property
    def driver(self) -> Driver:
        """The transaction's connection at the driver's level, for the statements every action runs."""
        if self._driver is None:
            self._driver = Driver(self.connection)
        return self._driver

    def __enter__(self) -> UnitOfWork:
        self._open = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._finish(commit=False)
        self._open = False

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

    def kept(self, key: Any, make: Callable[[], Kept]) -> Kept:
        """What `make` gives, made once per transaction under `key` (a sweep's batch publishes hundreds of
        changes in one transaction; what they share is read or gathered once)."""
        if key not in self._kept:
            self._kept[key] = make()
        found: Kept = self._kept[key]
        return found

    def gathered(self, key: str, make: Callable[[], Kept], write: Callable[[Kept], None]) -> Kept:
        """What this transaction's changes gather under `key` (rows, counts), handed to `write` once at
        commit (as `at_commit`): a batch of hundreds of changes sends one statement, not hundreds."""

        def start() -> Kept:
            made = make()
            self.at_commit(lambda: write(made))
            return made

        return self.kept(("gathered", key), start)

    def commit(self) -> None:
        if self._session is not None:
            self._session.flush()  # case rows first, so that ids exist and the events can name them
        for write in self._last:
            write()
        events = [chain.NewEvent(case_id=getattr(case, "id", case), **fields) for case, fields in self._pending]
        queued = chain.append(self.driver, events)
        self._finish(commit=True)
        if queued:
            self._link()

    def _link(self) -> None:
        """Link what this commit queued; the action stands if that fails (the next writer or the job links)."""
        try:
            chain.link_pending(self.engine)
        except DBAPIError as exc:
            log.warning("events committed, not linked yet (the next writer or the audit.link job will): %s", exc)

    def rollback(self) -> None:
        self._finish(commit=False)

    def _finish(self, *, commit: bool) -> None:
        """End the transaction and give the connection back to the pool at once: linking, or a refusal's
        own record, takes another. The session commits if it took the transaction over; closing rolls
        back what was not committed and detaches the session's objects without expiring them, so callers
        can still read what they loaded. What was queued for the transaction is forgotten."""
        if commit and self._session is not None:
            self._session.commit()
        if commit and self._bound is not None and self._bound.in_transaction():
            self._bound.commit()
        if self._session is not None:
            self._session.close()
        if self._bound is not None:
            self._bound.close()
        self._session = self._bound = self._driver = None
        self._pending, self._last, self._kept = [], [], {}
