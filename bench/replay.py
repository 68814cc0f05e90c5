"""The schema's limit: the exact statements casework sends per action, replayed by bare sqlite3 with no Python logic.

A run of casework as deployed is recorded statement by statement (SQL and parameters, as the driver got them),
then each action's statements are sent again to a fresh copy of the same database, one transaction per action,
with the deployed engine's pragmas and checkpoint thread. No service, engine or ORM code runs in the timed part,
so the replay's rate is what casework could reach if its Python cost nothing: the ceiling that the rows and
indexes it writes put on its ratio to raw. A target above this line needs fewer writes, not faster code.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from bench.common import fresh_runtime, rate
from casework.cases import actions
from casework.intake import flags as intake
from casework.storage.checkpoints import BACKSTOP_PAGES, CHECKPOINTER

Statement = tuple[str, Any, bool]  # SQL, parameters, executemany
Action = list[Statement]


class Recording:
    """One deployed run's statements, action by action: the intakes, then every transition."""

    def __init__(self, count: int, payloads: list[dict], steps: list, staff: Callable):
        self.count, self._staff = count, staff
        cw = fresh_runtime()
        who = staff(cw)
        heard: list[Statement] = []

        def hear(_connection, _cursor, sql: str, params: Any, _context, many: bool) -> None:
            heard.append((sql, params, many))

        event.listen(cw.engine, "before_cursor_execute", hear)
        self.intakes: list[Action] = []
        references = []
        for p in payloads[:count]:
            references.append(intake.flag_comment(cw, who["admin"], p).case.reference)
            self.intakes.append(heard[:])
            heard.clear()
        self.transitions: list[Action] = []
        for kind, trigger, inputs in steps:
            for reference in references:
                actions.apply_trigger(cw, who[kind], reference, trigger, inputs)
                self.transitions.append(heard[:])
                heard.clear()
        cw.engine.dispose()

    def replay(self) -> tuple[float, float]:
        """(intake/s, lifecycle cases/s) of the recorded statements sent again to a fresh database."""
        cw = fresh_runtime(name="replay.db")
        self._staff(cw)  # the same users with the same ids, as in the recorded run
        path = cw.engine.url.database
        cw.engine.dispose()
        db = sqlite3.connect(path, isolation_level=None)
        db.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES};"
        )
        intake_s, lifecycle_s = _send(db, path, self.intakes), _send(db, path, self.transitions)
        db.close()
        return rate(self.count, intake_s), rate(self.count, lifecycle_s)


def _send(db: sqlite3.Connection, path: str, recorded: list[Action]) -> float:
    """Seconds to send each action's statements (its BEGIN among them) and commit it."""
    start = time.perf_counter()
    for statements in recorded:
        for sql, params, many in statements:
            if many:
                db.executemany(sql, params)
            else:
                db.execute(sql, params)
        db.execute("COMMIT")
        CHECKPOINTER.committed(path)
    return time.perf_counter() - start
