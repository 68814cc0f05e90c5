"""The indexes /cases walks, and which one a page uses, so that no page sorts all of its matches.

A page is read in its sort order and stops after one page of matches. One value of a filter in the default
(detection) order is looked up in that filter's (value, detected_at, id) index, so the page costs the same
whatever the table's size; anything else walks the sort's own index and tests the filters row by row.
PostgreSQL's planner chooses among these itself (it weighs the LIMIT with its statistics). SQLite has no
statistics unless ANALYZE ran and would rather sort every match of a narrower index, so on SQLite every other
column is written `+column`, which no index serves (SQLite's documented way to steer its planner).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, text
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlalchemy.sql.operators import custom_op
from sqlmodel import col

from casework.storage.tables import Case

DETECTED_INDEX = Index("ix_cases_detected", col(Case.detected_at), col(Case.id))
UPDATED_INDEX = Index("ix_cases_updated", col(Case.updated_at), col(Case.id))

# Most selective first: the first filter of a page with one value picks the index.
FILTER_COLUMNS = ("threat_to_life", "referred_by_id", "assignee_id", "channel", "outcome", "platform", "state")
# The rows a filter can ask for, where that is not every row (by dialect): no page lists the cases without a
# threat to life, an outcome or a referrer, so a new case (none of the three) is written to none of these.
# SQLite uses a partial index only for a query term it can match with the index's WHERE: `= 1` as
# `one_of("threat_to_life", [true()])` renders it there, and any comparison on a column for IS NOT NULL.
FILTER_ROWS = {
    "threat_to_life": {"sqlite": "threat_to_life = 1", "postgresql": "threat_to_life"},
    "referred_by_id": dict.fromkeys(("sqlite", "postgresql"), "referred_by_id IS NOT NULL"),
    "outcome": dict.fromkeys(("sqlite", "postgresql"), "outcome IS NOT NULL"),
}


def _filter_index(name: str) -> Index:
    rows: dict[str, Any] = {f"{dialect}_where": text(where) for dialect, where in FILTER_ROWS.get(name, {}).items()}
    return Index(f"ix_cases_{name}_detected", getattr(Case, name), col(Case.detected_at), col(Case.id), **rows)


FILTER_INDEXES = [_filter_index(name) for name in FILTER_COLUMNS]


def indexed_columns(sort: str, single_valued: set[str]) -> set[str]:
    """The columns whose conditions the page's index serves: a one-valued filter's and detection, or none."""
    if sort.lstrip("-") != "detected":
        return set()
    return {"detected_at", *[name for name in FILTER_COLUMNS if name in single_valued][:1]}


def unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`+column`: the same value, which SQLite answers from no index."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)
