"""Loading a case for an action and saving it back with an optimistic version check.

Actions are the hot write path, so they go to the driver (`casework.storage.driver`): the case is read
into a plain mutable record, the workflow's effects change it, and one conditional UPDATE saves the
columns that changed. Only those: the database rewrites the entries of every index on a column the
UPDATE sets, changed or not, and `cases` has a dozen. As with the ORM, a JSON value is changed by
assigning a new one, not by mutating it in place.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Any

from casework.errors import CaseNotFound, ConcurrentUpdate
from casework.storage.driver import Driver, RowReader, insert_sql
from casework.storage.tables import Case, table_of

_cases = table_of(Case)
MUTABLE = (
    "state",
    "assignee_id",
    "threat_to_life",
    "outcome",
    "referred_by_id",
    "advised_by_id",
    "referrer_ids",
    "adviser_ids",
    "open_question",
    "closed_at",
    "stage_inputs",
    "updated_at",
)
_COLUMNS = tuple(_cases.c.keys())
_read = RowReader(_cases, _COLUMNS)
_LOAD = f"SELECT {', '.join(_COLUMNS)} FROM cases WHERE reference = ?"
_FIND = f"SELECT {', '.join(_COLUMNS)} FROM cases WHERE force = ? AND platform = ? AND external_id = ?"


class CaseRecord(SimpleNamespace):
    """A case's columns as plain attributes, changed in memory for the length of one action."""

    # The columns the actions and guards rely on (the record holds every column of `cases`).
    id: int
    reference: str
    version: int
    force: str
    platform: str
    state: str
    assignee_id: int | None
    referred_by_id: int | None
    advised_by_id: int | None
    referrer_ids: list[int]
    adviser_ids: list[int]
    updated_at: datetime

    # The mutable columns as the database holds them, so that `save` writes only the changed ones; kept
    # out of `vars()`, which is the columns.
    __slots__ = ("_stored",)
    _stored: dict[str, Any]


def _record(columns: dict[str, Any]) -> CaseRecord:
    record = CaseRecord(**columns)
    record._stored = {name: columns[name] for name in MUTABLE}
    return record


def load(driver: Driver, reference: str) -> CaseRecord:
    row = driver.execute(_LOAD, (reference,)).fetchone()
    if row is None:
        raise CaseNotFound(f"no case {reference!r}")
    return _record(_read(driver, row))


def find(driver: Driver, force: str, platform: str, external_id: str) -> CaseRecord | None:
    """The case of a comment, if it has one (a comment is one case per force and platform)."""
    row = driver.execute(_FIND, (force, platform, external_id)).fetchone()
    return None if row is None else _record(_read(driver, row))


def insert(driver: Driver, values: dict[str, Any]) -> CaseRecord:
    """Store a new case; the record holds every column, as stored (the id and the defaults included)."""
    row = driver.execute(_insert_statement(tuple(values)), driver.values(values.values())).fetchone()
    return _record(_read(driver, row))


@cache
def _insert_statement(names: tuple[str, ...]) -> str:
    return f"{insert_sql('cases', names)} RETURNING {', '.join(_COLUMNS)}"


def save(driver: Driver, case: CaseRecord) -> None:
    """Write the changed columns if nobody saved the case since it was loaded; bump its version."""
    changed = tuple(name for name in MUTABLE if getattr(case, name) != case._stored[name])
    values = driver.values(getattr(case, name) for name in changed)
    cursor = driver.execute(_save_statement(changed), (case.version + 1, *values, case.id, case.version))
    if cursor.rowcount != 1:
        raise ConcurrentUpdate(
            f"case {case.reference} changed while you were acting on it; reload it and try again",
            details={"state": case.state},
        )
    case.version += 1
    case._stored = {name: getattr(case, name) for name in MUTABLE}


@cache
def _save_statement(changed: tuple[str, ...]) -> str:
    columns = "".join(f", {name} = ?" for name in changed)
    return f"UPDATE cases SET version = ?{columns} WHERE id = ? AND version = ?"
