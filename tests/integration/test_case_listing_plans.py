"""Every /cases filter and sort is answered from an index: no page sorts all its matches, whatever the table's size.

The plans are read from the databases themselves (EXPLAIN QUERY PLAN, EXPLAIN), so a missing index or a condition
written so that no index can serve it fails here, not in production at a million cases.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, text

from casework.cases.listing import list_cases, parse_query

# one value of each filter that an index on (column, detection time) serves in the default order
SINGLE_FILTERS = {
    "state": ("closed", "state"),
    "outcome": ("no_crime", "outcome"),
    "platform": ("x", "platform"),
    "channel": ("Page", "channel"),
    "threat_to_life": ("1", "threat_to_life"),
    "assignee": ("none", "assignee_id"),
    "mine": ("1", "assignee_id"),
    "referred_by_me": ("1", "referred_by_id"),
}
OTHER_FILTERS = [
    {},
    {"state": ["detected", "closed"]},
    {"strand": ["race"]},
    {"breached": ["1"]},
    {"from": ["2026-11-01"], "to": ["2026-11-30"]},
    {"state": ["closed"], "platform": ["x"]},
]
SORTS = ["-detected", "detected", "-updated", "reference"]


def _listing_statement(cw, actor, args):
    """The SELECT that reads the page, with its parameters, as the service sends it."""
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM cases" in statement and "LIMIT" in statement:
            seen.append((statement, parameters))

    event.listen(cw.engine, "before_cursor_execute", capture)
    try:
        list_cases(cw, actor, parse_query(cw, args), via="web")
    finally:
        event.remove(cw.engine, "before_cursor_execute", capture)
    assert len(seen) == 1, seen
    return seen[0]


def _plan(cw, statement, parameters) -> str:
    with cw.engine.connect() as connection:
        if cw.engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(row[-1] for row in rows)
        # On a table this small a scan is cheapest; forbid scans and sorts so the plan shows what indexes allow.
        connection.execute(text("SET enable_seqscan = off"))
        connection.execute(text("SET enable_sort = off"))
        connection.execute(text("SET enable_bitmapscan = off"))
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
        connection.rollback()
        return plan


def _sorts_every_match(plan: str) -> bool:
    return "TEMP B-TREE" in plan or "Sort" in plan or "Seq Scan on cases" in plan or "SCAN cases\n" in plan + "\n"


@pytest.fixture
def admin(make):
    make.case("closed")
    return make.staff("admin")


@pytest.mark.parametrize("name", SINGLE_FILTERS)
def test_one_value_of_a_filter_is_looked_up_in_its_index_in_detection_order(cw, admin, name):
    value, column = SINGLE_FILTERS[name]
    plan = _plan(cw, *_listing_statement(cw, admin, {name: [value]}))
    assert not _sorts_every_match(plan), plan
    if cw.engine.dialect.name == "sqlite":
        assert f"SEARCH cases USING INDEX ix_cases_{column}_detected ({column}" in plan, plan
    elif column == "threat_to_life":  # the index holds only such cases: its WHERE is the whole condition
        assert re.search(rf"using ix_cases_{column}_detected on cases", plan), plan
    elif value != "none":  # with one unassigned case, PostgreSQL's statistics make either index as good for IS NULL
        assert re.search(rf"using ix_cases_{column}_detected on cases .*\n *Index Cond: \(+{column}\b", plan), plan


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("args", OTHER_FILTERS + [{k: [v]} for k, (v, _) in SINGLE_FILTERS.items()])
def test_no_filter_and_sort_sorts_all_its_matches(cw, admin, sort, args):
    plan = _plan(cw, *_listing_statement(cw, admin, {**args, "sort": [sort]}))
    assert not _sorts_every_match(plan), plan
