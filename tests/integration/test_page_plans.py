"""The dashboard's and the audit log's statements are index-backed: no scan or sort of a force's cases,
clocks or events (EXPLAIN on SQLite; on PostgreSQL with sequential scans and sorts priced out)."""

import re
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event

from casework.audit.log import LogFilter, event_actions, search_events
from casework.cases import stats

BIG = ("cases", "case_events", "sla_clocks")  # the tables that grow with the data
SEQ_INDEX = "sqlite_autoindex_case_events_1"  # UNIQUE (seq)


@contextmanager
def statements(cw):
    seen = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(cw.engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(cw.engine, "before_cursor_execute", keep)


def _problems(cw, seen, sorted_range_allowed=False):
    found = []
    with cw.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET enable_seqscan = off")
            connection.exec_driver_sql("SET enable_sort = off")
        for statement, parameters in seen:
            if not any(re.search(rf"\b{t}\b", statement) for t in BIG):
                continue
            if connection.dialect.name == "sqlite":
                plan = [r[-1] for r in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
                # Walking the seq index newest first under a LIMIT is the keyset page itself, not a scan.
                bad = [p for p in plan if re.match(rf"SCAN ({'|'.join(BIG)})\b", p) and SEQ_INDEX not in p]
                if not sorted_range_allowed:
                    bad += [p for p in plan if "TEMP B-TREE FOR ORDER BY" in p]
            else:
                plan = [r[0] for r in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]
                bad = [p for p in plan if re.search(rf"Seq Scan on ({'|'.join(BIG)})\b", p)]
                if not sorted_range_allowed:
                    # A full Sort node; an Incremental Sort only orders ties of an index's order.
                    bad += [p for p in plan if re.match(r"(-> +)?Sort +\(", p.strip())]
            if bad:
                found.append((statement.split("FROM")[0][:60], bad))
    return found


@pytest.fixture
def world(cw, make):
    for force in ("warwickshire", "west_mercia"):
        for state in ("detected", "admin_review", "closed"):
            make.case(state, force=force)
    return make.user("all.overseer", ["auditor", "supervisor"], ["warwickshire", "west_mercia"])


def test_the_dashboard_reads_index_ranges_and_tallies(cw, world, clock):
    with statements(cw) as seen:
        board = stats.dashboard(cw, world)
        stats.compliance(cw, board.forces, clock.now())
    assert seen and _problems(cw, seen) == []


@pytest.mark.parametrize(
    "flt",
    [
        LogFilter(),
        LogFilter(before=5),
        LogFilter(user="wa.admin"),
        LogFilter(action="transition"),
        LogFilter(user="wa.admin", action="transition", before=9),
        LogFilter(since=date(2026, 11, 25), until=date(2026, 11, 25)),
        LogFilter(until=date(2026, 11, 25), before=9),
    ],
    ids=["newest", "before", "user", "action", "user-action-before", "day", "until-before"],
)
def test_every_audit_filter_walks_an_index_in_order(cw, world, flt):
    with statements(cw) as seen:
        search_events(cw, world, flt)
        event_actions(cw)
    assert _problems(cw, seen) == []


def test_a_case_filter_reads_the_case_events_off_an_index(cw, world):
    """A case's events are found on the case_id index, then its few put in order."""
    flt = LogFilter(reference="WK-2026-000001")
    with statements(cw) as seen:
        search_events(cw, world, flt)
    assert _problems(cw, seen, sorted_range_allowed=True) == []
