"""Loading a case for an action and saving it back with an optimistic version check.

Actions are the hot write path, so they use prepared Core statements: the case is read into a
plain mutable record, the workflow's effects change it, and one conditional UPDATE saves it.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from casework.errors import CaseNotFound, ConcurrentUpdate
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
_LOAD = select(_cases).where(_cases.c.reference == bindparam("reference"))
_SAVE = (
    update(_cases)
    .where(_cases.c.id == bindparam("case_id"), _cases.c.version == bindparam("loaded_version"))
    .values(version=bindparam("new_version"), **{name: bindparam(name) for name in MUTABLE})
)


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


def load(connection: Connection, reference: str) -> CaseRecord:
    row = connection.execute(_LOAD, {"reference": reference}).one_or_none()
    if row is None:
        raise CaseNotFound(f"no case {reference!r}")
    return CaseRecord(**row._asdict())


def save(connection: Connection, case: CaseRecord) -> None:
    """Write the changed case if nobody saved it since it was loaded; bump its version."""
    result = connection.execute(
        _SAVE,
        {
            "case_id": case.id,
            "loaded_version": case.version,
            "new_version": case.version + 1,
            **{name: getattr(case, name) for name in MUTABLE},
        },
    )
    if result.rowcount != 1:
        raise ConcurrentUpdate(
            f"case {case.reference} changed while you were acting on it; reload it and try again",
            details={"state": case.state},
        )
    case.version += 1
