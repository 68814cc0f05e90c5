"""Keeping each case's search document and filter tags current, in the transaction of the change itself.

SQLite mirrors `case_search` into an FTS5 table by triggers; PostgreSQL derives a `tsvector` column from
it. Either way a write here is indexed when, and only if, the change that caused it commits.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import update

from casework.cases.tables import SearchDoc
from casework.storage.driver import insert_sql
from casework.storage.tables import table_of

if TYPE_CHECKING:
    from casework.events import CaseChanged
    from casework.runtime import Casework
    from casework.storage.uow import UnitOfWork

# Decisions with several values that /cases filters by, and the tag prefix of each.
TAGGED_INPUTS = {"category": "category", "strands": "strand", "offences": "offence"}
AUTHOR_FIELDS = frozenset({"author_id", "author_handle", "author_name"})

_docs = table_of(SearchDoc)
_FROM_COMMENT = (
    "INSERT INTO case_search (case_id, force, comment_text, author, handle_key, notes) "
    "SELECT case_id, ?, text, trim(coalesce(author_handle, '') || ' ' || coalesce(author_name, '')), "
    "lower(ltrim(author_handle, '@')), '' FROM comments WHERE case_id = ?"
)
_TAG = insert_sql("case_tags", ("case_id", "tag"))
_APPEND = "UPDATE case_search SET notes = trim(notes || ? || ?) WHERE case_id = ?"


def handle_key(handle: str | None) -> str | None:
    """A handle as stored for exact matching: `@Troll_99` and `troll_99` are the same author."""
    key = (handle or "").strip().lstrip("@").lower()
    return key or None


def on_case_changed(uow: UnitOfWork, change: CaseChanged, cw: Casework) -> None:
    """Index a new case's comment; add the text given with a step; re-tag a referral's decisions."""
    driver = uow.driver
    if change.kind == "flagged":
        driver.execute(_FROM_COMMENT, (change.case.force, change.case.id))
        return
    if change.kind != "transitioned" or change.trigger is None:
        return
    spec = cw.workflow.transition(change.trigger)
    if spec is None:
        return
    texts = [str(change.inputs[i.name]) for i in spec.inputs if i.kind == "text" and change.inputs.get(i.name)]
    if texts:
        add_text(uow, change.case.id, "\n".join(texts))
    declared = [i.name for i in spec.inputs if i.name in TAGGED_INPUTS]
    if not declared:
        return
    # A new referral's decisions replace the last one's, including those it leaves out.
    driver.execute(_untag(len(declared)), (change.case.id, *(f"{TAGGED_INPUTS[name]}:%" for name in declared)))
    tagged = {name: change.inputs[name] for name in declared if change.inputs.get(name)}
    rows = [
        (change.case.id, f"{TAGGED_INPUTS[name]}:{value}")
        for name, values in tagged.items()
        for value in (values if isinstance(values, list | tuple) else [values])
    ]
    if rows:
        driver.executemany(_TAG, rows)


@cache
def _untag(count: int) -> str:
    """Remove a case's tags with any of `count` prefixes (bound as LIKE patterns; the prefixes hold no wildcard)."""
    return f"DELETE FROM case_tags WHERE case_id = ? AND ({' OR '.join('tag LIKE ?' for _ in range(count))})"


def add_text(uow: UnitOfWork, case_id: int, text: str) -> None:
    """Append a note (or a step's text) to the case's document."""
    uow.driver.execute(_APPEND, ("\n", text, case_id))


def forget(uow: UnitOfWork, case_id: int, fields: tuple[str, ...]) -> None:
    """Redaction: the redacted comment text and author leave the index with the redaction."""
    values: dict[str, None] = {}
    if "text" in fields:
        values["comment_text"] = None
    if AUTHOR_FIELDS & set(fields):
        values.update(author=None, handle_key=None)
    if values:
        uow.connection.execute(update(_docs).where(_docs.c.case_id == case_id).values(**values))
