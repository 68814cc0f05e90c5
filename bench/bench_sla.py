"""SLA sweep: 1M open clocks with none due and with 1,000 due, on SQLite and PostgreSQL (targets 50 ms, 1 s).

PostgreSQL runs when CASEWORK_BENCH_DATABASE_URL is set; its public schema is dropped and rebuilt.
BENCH_SLA_CLOCKS sets the number of open clocks (default 1,000,000).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text, update

from casework.bootstrap import bootstrap
from casework.clock import FrozenClock
from casework.config import Settings
from casework.sla.models import SlaClock
from casework.sla.sweep import sweep
from casework.storage.schema import migrate
from casework.storage.tables import Case

CLOCKS = int(os.environ.get("BENCH_SLA_CLOCKS", "1000000"))
DUE = 1000
PER_CASE = 4
CHUNK = 50_000
BASE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
NAMES = ("review_decision", "crime_recording_decision", "comms_action", "end_to_end")
CASE_COLUMNS = (
    "reference",
    "force",
    "platform",
    "channel",
    "external_id",
    "permalink",
    "detected_at",
    "detected_by",
    "flag_reason",
    "evidence_digest",
    "state",
    "version",
    "threat_to_life",
    "stage_inputs",
    "updated_at",
)
CLOCK_COLUMNS = (
    "case_id",
    "name",
    "run",
    "force",
    "calendar",
    "target_seconds",
    "started_at",
    "warn_at",
    "due_at",
    "alarm_at",
)


def case_row(i: int) -> tuple:
    return (
        f"WK-2026-{i:07d}",
        "warwickshire",
        "facebook",
        "Page",
        f"b-{i}",
        f"https://facebook.com/b-{i}",
        BASE,
        "bench",
        "race",
        "0" * 64,
        "admin_review",
        1,
        False,
        "{}",
        BASE,
    )


def clock_row(i: int) -> tuple:
    # None due: the warnings are 30 days out, the deadlines 40.
    return (
        i // PER_CASE + 1,
        NAMES[i % PER_CASE],
        1,
        "warwickshire",
        "24x7",
        86_400,
        BASE,
        BASE + timedelta(days=30),
        BASE + timedelta(days=40),
        BASE + timedelta(days=30),  # the sweep's alarm: the warning time
    )


def load_sqlite(cw, cases: int) -> None:
    with cw.engine.begin() as connection:
        for table, columns, make, count in (
            (Case.__table__, CASE_COLUMNS, case_row, cases),
            (SlaClock.__table__, CLOCK_COLUMNS, clock_row, CLOCKS),
        ):
            for start in range(0, count, CHUNK):
                rows = [dict(zip(columns, make(i), strict=False)) for i in range(start, min(start + CHUNK, count))]
                if table is Case.__table__:
                    for row in rows:
                        row["stage_inputs"] = {}
                connection.execute(insert(table), rows)
        connection.exec_driver_sql("ANALYZE")


def load_postgres(cw, cases: int) -> None:
    raw = cw.engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            for table, columns, make, count in (
                ("cases", CASE_COLUMNS, case_row, cases),
                ("sla_clocks", CLOCK_COLUMNS, clock_row, CLOCKS),
            ):
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for i in range(count):
                        copy.write_row(make(i))
            cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def make_due(cw) -> None:
    """Spread 1,000 clocks over the table and bring their warning and deadline into the past."""
    clocks = SlaClock.__table__
    step = CLOCKS // DUE
    with cw.engine.begin() as connection:
        connection.execute(
            update(clocks)
            .where(clocks.c.id % step == 0, clocks.c.id <= step * DUE)
            .values(
                warn_at=BASE - timedelta(hours=2), due_at=BASE - timedelta(hours=1), alarm_at=BASE - timedelta(hours=2)
            )
        )


def timed_sweep(cw) -> tuple[float, int]:
    start = time.perf_counter()
    result = sweep(cw)
    return time.perf_counter() - start, len(result.marks)


def run(label: str, url: str, load) -> None:
    cw, tag = bootstrap(Settings(database_url=url), clock=FrozenClock(BASE)), f"{label}:"
    if cw.engine.dialect.name == "postgresql":
        with cw.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(cw.engine)
    start = time.perf_counter()
    load(cw, CLOCKS // PER_CASE + 1)
    print(f"{tag:12}loaded {CLOCKS:,} open clocks in {time.perf_counter() - start:.1f} s")
    timed_sweep(cw)  # warm the cache and the connection pool
    empty = statistics.median(timed_sweep(cw)[0] for _ in range(5))
    print(f"{tag:12}empty sweep (none due)   {empty * 1000:8.1f} ms   target < 50 ms")
    make_due(cw)
    seconds, marks = timed_sweep(cw)
    print(
        f"{tag:12}sweep of {DUE:,} due clocks {seconds * 1000:8.1f} ms   target < 1000 ms "
        f"({marks:,} marks: a warning and a breach each, with their audit events)"
    )
    after = statistics.median(timed_sweep(cw)[0] for _ in range(5))
    print(f"{tag:12}empty sweep afterwards  {after * 1000:8.1f} ms")
    cw.engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="casework-bench-sla-") as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'sla.db'}", load_sqlite)
    if url := os.environ.get("CASEWORK_BENCH_DATABASE_URL"):
        run("PostgreSQL", url, load_postgres)
    else:
        print("PostgreSQL: skipped (set CASEWORK_BENCH_DATABASE_URL to a scratch database)")


if __name__ == "__main__":
    main()
