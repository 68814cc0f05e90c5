"""Keeping each case's search document and filter tags current, in the transaction of the change itself.

SQLite mirrors `case_search` into an FTS5 table by triggers; PostgreSQL derives a `tsvector` column from
it. Either way a write here is indexed when, and only if, the change that caused it commits.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, insert, literal, or_, select, update
from sqlalchemy import func as sql
from sqlalchemy.sql.dml import Delete

from casework.cases.tables import CaseTag, SearchDoc
from casework.storage.tables import Comment, table_of

if TYPE_CHECKING:
    from casework.events import CaseChanged
    from casework.runtime import Casework
    from casework.storage.uow import UnitOfWork

# Decisions with several values that /cases filters by, and the tag prefix of each.
TAGGED_INPUTS = {"category": "category", "strands": "strand", "offences": "offence"}
AUTHOR_FIELDS = frozenset({"author_id", "author_handle", "author_name"})

_docs, _tags, _comments = table_of(SearchDoc), table_of(CaseTag), table_of(Comment)
_author = sql.trim(sql.coalesce(_comments.c.author_handle, "") + " " + sql.coalesce(_comments.c.author_name, ""))
_FROM_COMMENT = insert(_docs).from_select(
    ["case_id", "force", "comment_text", "author", "handle_key", "notes"],
    select(
        _comments.c.case_id,
        bindparam("force"),
        _comments.c.text,
        _author,
        sql.lower(sql.ltrim(_comments.c.author_handle, "@")),
        literal(""),
    ).where(_comments.c.case_id == bindparam("case_id")),
)
_TAG = insert(_tags)
_APPEND = (
    update(_docs)
    .where(_docs.c.case_id == bindparam("doc_id"))
    .values(notes=sql.trim(_docs.c.notes + "\n" + bindparam("note")))
)


def handle_key(handle: str | None) -> str | None:
    """A handle as stored for exact matching: `@Troll_99` and `troll_99` are the same author."""
    key = (handle or "").strip().lstrip("@").lower()
    return key or None


def on_case_changed(uow: UnitOfWork, change: CaseChanged, cw: Casework) -> None:
    """Index a new case's comment; add the text given with a step; re-tag a referral's decisions."""
    connection = uow.session.connection()
    if change.kind == "flagged":
        connection.execute(_FROM_COMMENT, {"case_id": change.case.id, "force": change.case.force})
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
    connection.execute(_untag(tuple(declared)), {"of_case": change.case.id})
    tagged = {name: change.inputs[name] for name in declared if change.inputs.get(name)}
    rows = [
        {"case_id": change.case.id, "tag": f"{TAGGED_INPUTS[name]}:{value}"}
        for name, values in tagged.items()
        for value in (values if isinstance(values, list | tuple) else [values])
    ]
    if rows:
        connection.execute(_TAG, rows)


@cache
def _untag(declared: tuple[str, ...]) -> Delete:
    """Remove a case's tags of these inputs (built once per set of inputs)."""
    prefixes = [_tags.c.tag.startswith(f"{TAGGED_INPUTS[name]}:") for name in declared]
    return delete(_tags).where(_tags.c.case_id == bindparam("of_case"), or_(*prefixes))


def add_text(uow: UnitOfWork, case_id: int, text: str) -> None:
    """Append a note (or a step's text) to the case's document."""
    uow.session.connection().execute(_APPEND, {"doc_id": case_id, "note": text})


def forget(uow: UnitOfWork, case_id: int, fields: tuple[str, ...]) -> None:
    """Redaction: the redacted comment text and author leave the index with the redaction."""
    values: dict[str, None] = {}
    if "text" in fields:
        values["comment_text"] = None
    if AUTHOR_FIELDS & set(fields):
        values.update(author=None, handle_key=None)
    if values:
        uow.session.connection().execute(update(_docs).where(_docs.c.case_id == case_id).values(**values))
