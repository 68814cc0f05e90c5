"""The dashboard's and the audit log's statements are index-backed: no scan or sort of a force's cases,
clocks or events (EXPLAIN on SQLite; on PostgreSQL with sequential scans and sorts priced out)."""

import re
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event

from casework.audit import disclosure
from casework.audit.log import LogFilter, event_actions, search_events
from casework.cases import consultation, stats
from casework.sla.sweep import sweep

BIG = ("cases", "case_events", "sla_clocks")  # the tables that grow with the data
SEQ_INDEX = "sqlite_autoindex_case_events_1"  # UNIQUE (seq)


@contextmanager
def statements(cw, kinds=("SELECT", "WITH")):
    """(statement, parameters) of what the engine sends while the block runs: reads, or those starting with `kinds`
    (None for all but the transaction's own); for an executemany, its first row's parameters."""
    seen = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        start = statement.lstrip().upper()
        if start.startswith(kinds) if kinds else not start.startswith(("BEGIN", "PRAGMA", "SET ")):
            seen.append((statement, parameters[0] if executemany else parameters))

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


def test_the_sweep_reads_only_the_alarm_index(cw, world, clock):
    clock.advance(minutes=50)  # the detected cases' review warnings are due
    with statements(cw) as seen:
        assert sweep(cw).warnings
    reads = [(s, p) for s, p in seen if "sla_clocks.alarm_at" in s]
    assert len(reads) >= 2 and _problems(cw, reads) == []
    with cw.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            for statement, parameters in reads:
                plan = [r[-1] for r in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
                assert any("USING COVERING INDEX ix_sla_clocks_alarm" in p for p in plan), plan


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
    """A case's events are walked in order off its (case_id, seq) range: none sorted, however many it has."""
    flt = LogFilter(reference="WK-2026-000001")
    with statements(cw) as seen:
        search_events(cw, world, flt)
    assert _problems(cw, seen) == []


def _copy_case(cw, reference, copies, first_id):
    """`copies` copies of a case and its clocks, in one statement each (ids from `first_id`), then ANALYZE."""
    from sqlalchemy import Integer, String, cast, insert, literal, select, true

    from casework.sla.models import SlaClock
    from casework.storage.tables import Case, table_of

    cases, clocks = table_of(Case), table_of(SlaClock)
    n = select(literal(0).label("i")).cte("n", recursive=True)
    n = n.union_all(select(n.c.i + 1).where(n.c.i < copies - 1))
    new_id = literal(first_id) + n.c.i
    numbered = {"id": new_id, "reference": "CP-" + cast(new_id, String), "external_id": "copy-" + cast(new_id, String)}
    with cw.engine.begin() as connection:
        case_id = connection.execute(select(cases.c.id).where(cases.c.reference == reference)).scalar_one()
        columns = [c.name for c in cases.c]
        copied = select(*[numbered.get(c, cases.c[c]) for c in columns]).join_from(cases, n, true())
        copied = copied.where(cases.c.id == case_id)
        connection.execute(insert(cases).from_select(columns, copied))
        columns = [c.name for c in clocks.c if c.name != "id"]
        changed = {"case_id": cast(new_id, Integer)}
        copied = select(*[changed.get(c, clocks.c[c]) for c in columns]).join_from(clocks, n, true())
        copied = copied.where(clocks.c.case_id == case_id)
        connection.execute(insert(clocks).from_select(columns, copied))
        for table in ("cases", "sla_clocks"):
            connection.exec_driver_sql(f"ANALYZE {table}" if connection.dialect.name == "postgresql" else "ANALYZE")


def _plan_of(connection, seen, marker="ORDER BY sla_clocks.due_at"):
    """The plan of the statement holding `marker` (by default the page's read of open clocks in deadline
    order), EXPLAINed with the statistics as they are."""
    statement, parameters = next((s, p) for s, p in seen if marker in s)
    if connection.dialect.name == "sqlite":
        return [r[-1] for r in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    return [r[0] for r in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]


def test_a_long_queue_walks_the_deadline_index_whatever_the_planner_estimates(cw, make, monkeypatch):
    """Few of many open cases match (most are another force's): the page still walks the open clocks in
    deadline order and probes each one's case, rather than hash every open clock or sort the matches
    (what PostgreSQL chose for a join, its cost growing with the data: 100 ms at 100k cases)."""
    from casework.cases import queue

    _copy_case(cw, make.case("detected"), 100, 10_000)
    _copy_case(cw, make.case("detected", force="west_mercia"), 3000, 20_000)
    monkeypatch.setattr(queue, "DRIVE_FROM_CLOCKS", 0)
    with statements(cw) as seen:
        page = queue.team_queue(cw, make.staff("supervisor"), queue.QueueFilter())
    assert len(page.rows) == 25 and all(r.force == "warwickshire" for r in page.rows)
    with cw.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            plan = _plan_of(connection, seen)
            assert any("SCAN sla_clocks USING INDEX ix_sla_clocks_open_due" in p for p in plan), plan
            assert not [p for p in plan if "TEMP B-TREE" in p or re.match(r"SCAN cases\b", p)], plan
        else:
            plan = _plan_of(connection, seen)
            assert any("Index Scan using ix_sla_clocks_open_due" in p for p in plan), plan
            assert not [p for p in plan if "Hash" in p or re.match(r"(-> +)?Sort +\(", p.strip())], plan


def test_a_case_page_reads_its_authors_newest_cases_off_the_author_index(cw, make):
    """A prolific author's page lists their 50 newest other cases without sorting (or scanning for) all of
    them: at 1M cases, an author with half of a force's cases took 18 ms on SQLite, walking every case."""
    from casework.cases import queries

    prolific = make.case("detected")
    _copy_case(cw, prolific, 3000, 10_000)
    _copy_case(cw, make.case("detected", author_handle="someone_else"), 3000, 20_000)
    with statements(cw) as seen:
        detail = queries.get_case(cw, make.staff("supervisor"), prolific)
    assert len(detail.author_cases) == 50
    reads = [(s, p) for s, p in seen if "cases.author_key = " in s]
    assert len(reads) == 1 and _problems(cw, reads) == []  # no scan of cases, no sort
    with cw.engine.connect() as connection:
        plan = _plan_of(connection, reads, "cases.author_key = ")
    assert any("ix_cases_force_author" in p for p in plan) and not any("Sort" in p for p in plan), plan


def test_every_statement_of_an_intake_and_its_steps_finds_its_rows_by_key(cw, make):
    """An action's cost stays flat as the data grows: none of the statements an intake and the steps to
    closed send (reads, updates, upserts) scans or sorts a table that grows, with the planner's statistics
    taken over thousands of cases."""
    _copy_case(cw, make.case("closed"), 3000, 10_000)
    with statements(cw, kinds=None) as sent:
        make.case("closed")
    assert len(sent) > 40 and _problems(cw, sent) == []


def test_a_short_queue_reads_its_few_cases_then_their_clocks(cw, make):
    """One case matches among many open ones: its clocks are read off its case, not found by walking every
    open clock in deadline order (what SQLite chose for the join under a LIMIT: 160 ms at 100k cases)."""
    from casework.cases import queue

    wanted = make.case("crime_bureau_advice")
    _copy_case(cw, make.case("detected"), 3000, 10_000)
    with statements(cw) as seen:
        page = queue.team_queue(cw, make.staff("supervisor"), queue.QueueFilter(state="crime_bureau_advice"))
    assert [r.reference for r in page.rows] == [wanted]
    with cw.engine.connect() as connection:
        plan = _plan_of(connection, seen)
    assert not [p for p in plan if re.search(r"SCAN (sla_clocks|cases)\b|Seq Scan|ix_sla_clocks_open_due", p)], plan


def test_a_case_disclosure_log_finds_the_lists_that_showed_it_off_their_index(cw, world, make):
    """Not by reading every list consultation's JSON: there is one for each queue, page and search shown."""
    ref = make.case()
    consultation.log_list(cw, make.staff("admin"), scope="queue", via="web", shown=[(ref, "warwickshire")], detail={})
    with statements(cw) as seen:
        [logged] = disclosure.for_case(cw, world, ref)
    [(statement, parameters)] = [(s, p) for s, p in seen if "listed_cases" in s]
    with cw.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            plan = [r[-1] for r in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            key = r"SEARCH listed_cases USING (COVERING )?INDEX sqlite_autoindex_listed_cases_1 \(reference="
            assert re.match(key, plan[0]), plan
            assert any(re.match(r"SEARCH case_events USING INDEX ix_case_events_at \(at=", p) for p in plan), plan
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = [r[0] for r in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]
            assert any("listed_cases_pkey" in p for p in plan), plan  # on a few rows, any index of case_events
    assert _problems(cw, seen, sorted_range_allowed=True) == []


def test_a_case_disclosure_log_finds_period_exports_without_walking_every_event_of_no_case(cw, world, make):
    """List consultations are events of no case too, one a page view: period exports come off the action index."""
    ref, admin = make.case(), make.staff("admin")
    for _ in range(50):
        consultation.log_list(cw, admin, scope="queue", via="web", shown=[(ref, "warwickshire")], detail={})
    with cw.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    with statements(cw) as seen:
        disclosure.for_case(cw, world, ref)
    of_no_case = [(s, p) for s, p in seen if re.search(r"case_id( \+ \S+)? IS NULL", s) and "listed_cases" not in s]
    [(statement, parameters)] = of_no_case
    with cw.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            plan = [r[-1] for r in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = [r[0] for r in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]
    assert any("ix_case_events_action_seq" in p for p in plan) and not any("ix_case_events_case_seq" in p for p in plan)
