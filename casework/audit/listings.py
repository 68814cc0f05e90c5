"""Checking `listed_cases` against the chained list consultations it is derived from.

A case's disclosure log finds the lists that showed it through `listed_cases`, not the events: a row
deleted there would hide a consultation from the case's log while the chain still verified, and a
row added would show one that never happened. A million cases bring millions of rows, too many to
hold, or to compare in SQL (EXCEPT) within a verify's time, so each side is summed as a set hash per
(actor, day) in one streamed pass; only a bucket whose sums differ is read again, row by row, to name
the first difference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from sqlalchemy.engine import Connection, Engine

from casework.audit import disclosure, scan
from casework.audit.snapshot import snapshot

LISTS = f"case_id IS NULL AND action IN ({', '.join(map(repr, disclosure.ACTIONS))})"  # as consultations are written
# Only events whose data names cases are decoded in Python (a verify reads every list event of the log).
NAMING = {"sqlite": "instr(data, '\"references\"') > 0", "postgresql": "jsonb_typeof(data -> 'references') = 'array'"}
Row = tuple[str, str, str]  # (reference, stamp, actor)
Bucket = tuple[str, str]  # (actor, day)
_MASK = (1 << 64) - 1
BATCH = 1_000


def first_problem(engine: Engine) -> tuple[str, str] | None:
    """(case reference, what is wrong) for the first row of `listed_cases` its events do not account for.

    On a connection of its own, so that `audit verify` runs it beside the chain walk; every read is from
    one snapshot, as lists are viewed all the while.
    """
    with snapshot(engine) as connection:
        return _compare(connection)


def _compare(connection: Connection) -> tuple[str, str] | None:
    stamp = scan.STAMP[connection.dialect.name]
    expected, listed = _sums(_named(connection, stamp)), _sums(_listed(connection, stamp))
    differing = sorted(bucket for bucket in expected.keys() | listed.keys() if expected[bucket] != listed[bucket])
    if not differing:
        return None
    actor, day = differing[0]
    named = set(_named(connection, stamp, actor, day))
    stored = set(_listed(connection, stamp, actor, day))
    if missing := sorted(named - stored, key=_when):
        reference, at, _ = missing[0]
        return reference, f"its disclosure log lacks the list {actor} was shown at {at} (a listed_cases row is gone)"
    if not (forged := sorted(stored - named, key=_when)):
        return None  # not reached: within one snapshot, sums differ only where the sets do
    reference, at, _ = forged[0]
    return reference, f"its disclosure log shows a list {actor} was shown at {at}, which no event records"


def _when(row: Row) -> tuple[str, str]:
    return row[1], row[0]


def _sums(rows: Iterable[Row]) -> defaultdict[Bucket, int]:
    """Each (actor, day)'s rows summed as a set hash: equal sets give equal sums (Python's own string hash is
    seeded per process, so rows cannot be chosen to collide)."""
    sums: defaultdict[Bucket, int] = defaultdict(int)
    for row in rows:
        bucket = (row[2], row[1][:10])
        sums[bucket] = (sums[bucket] + hash(row)) & _MASK
    return sums


def _named(connection: Connection, stamp: str, actor: str | None = None, day: str | None = None) -> Iterator[Row]:
    """Each (reference, stamp, actor) the list events name, once. Lists shown to one actor at one instant (a
    frozen clock) share rows; those instants are found first, so the events are read in the order they are
    stored, and only a repeated instant's references are remembered."""
    where, params = _within(stamp, actor, day)
    tables = ("case_events", "chain_pending") if connection.dialect.name == "postgresql" else ("case_events",)
    naming = NAMING[connection.dialect.name]
    lists = " UNION ALL ".join(
        f"SELECT {stamp} AS at, actor, data FROM {table} WHERE {LISTS} AND {naming}{where}" for table in tables
    )
    params *= len(tables)
    repeated: dict[tuple[str, str], set[str]] = {
        (at, who): set()
        for at, who in _stream(
            connection, f"SELECT at, actor FROM ({lists}) AS lists GROUP BY at, actor HAVING count(*) > 1", params
        )
    }
    for at, who, data in _stream(connection, lists, params):
        references = _loaded(data).get("references")
        seen = repeated.get((at, who), set())  # an instant of one event needs only its own
        for reference in map(str, references if isinstance(references, list) else ()):
            if reference not in seen:
                seen.add(reference)
                yield reference, at, who


def _listed(connection: Connection, stamp: str, actor: str | None = None, day: str | None = None) -> Iterator[Row]:
    where, params = _within(stamp, actor, day)
    yield from _stream(connection, f"SELECT reference, {stamp}, actor FROM listed_cases WHERE 1 = 1{where}", params)


def _within(stamp: str, actor: str | None, day: str | None) -> tuple[str, tuple[Any, ...]]:
    """The filter to one (actor, day) bucket, or none."""
    if actor is None or day is None:
        return "", ()
    return f" AND actor = ? AND substr({stamp}, 1, 10) = ?", (actor, day)


def _loaded(data: Any) -> dict[str, Any]:
    """An event's data as a dict (text on SQLite, decoded already on PostgreSQL); the chain check vouched for it."""
    value = orjson.loads(data) if isinstance(data, str | bytes) else data
    return value if isinstance(value, dict) else {}


def _stream(connection: Connection, sql: str, params: tuple[Any, ...]) -> Iterator[Any]:
    """Rows streamed by the driver, in the connection's transaction; `?` placeholders (psycopg's `%s`)."""
    if connection.dialect.name == "sqlite":  # its cursor streams plain tuples, with no Row built per row
        sqlite: Any = connection.connection.driver_connection
        cursor = sqlite.execute(sql, params)
        try:
            yield from cursor
        finally:
            cursor.close()
        return
    result = connection.execution_options(stream_results=True).exec_driver_sql(sql.replace("?", "%s"), params)
    try:
        for rows in result.partitions(BATCH):  # a server-side cursor, a batch a fetch
            yield from (tuple(row) for row in rows)
    finally:
        result.close()
