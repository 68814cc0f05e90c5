"""Audit: `audit verify` throughput over 1M events (target >= 200k events/s), against plain hashing of those bytes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench.common import fresh_runtime, rate
from casework.audit import verify as audit
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.storage import chain
from casework.storage.schema import migrate

N = int(os.environ.get("BENCH_AUDIT_EVENTS", "1000000"))
PG_URL = os.environ.get("BENCH_AUDIT_PG_URL")  # a scratch PostgreSQL database: its public schema is dropped
TARGET = 200_000
BATCH = 50_000
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
COLUMNS = "seq, case_id, at, actor, role, action, from_state, to_state, data, data_digest, prev_hash, hash"


def sample_event(i: int) -> tuple:
    """A mix like real logs: transitions with inputs, views, assignments."""
    kind = i % 4
    if kind == 0:
        return (
            "wk.admin",
            "channel_admin",
            "transition",
            "admin_review",
            "crime_bureau_advice",
            {
                "trigger": "refer",
                "inputs": {
                    "category": ["hate_crime"],
                    "strands": ["race"],
                    "threat_to_life": False,
                    "note": f"please advise on {i}",
                },
            },
        )
    if kind == 1:
        return ("wk.auditor", "auditor", "viewed", "closed", "closed", {"reference": f"WK-2026-{i:06d}", "via": "web"})
    if kind == 2:
        return (
            "wk.bureau",
            "crime_bureau",
            "transition",
            "crime_bureau_advice",
            "comms_action",
            {
                "trigger": "give_advice",
                "inputs": {"outcome": "crime_recorded", "crime_reference": f"23/{i}/26", "advice": "record it"},
            },
        )
    return (
        "wk.supervisor",
        "supervisor",
        "assigned",
        "admin_review",
        "admin_review",
        {"assignee": "wk.admin", "previous_assignee_id": None},
    )


def hashed_rows(count: int):
    """(seq, at, fields, data) rows with data digests and hashes from the application's own hashing code."""
    prev = chain.GENESIS
    for seq in range(1, count + 1):
        at = START + timedelta(milliseconds=seq * 250)
        actor, role, action, from_state, to_state, data = sample_event(seq)
        data_digest = chain.digest(data)
        this = chain.event_hash(prev, seq, None, at, actor, role, action, from_state, to_state, data_digest)
        yield (seq, at, actor, role, action, from_state, to_state, json.dumps(data), data_digest, prev, this)
        prev = this


def fill_sqlite(cw, count: int) -> str:
    """Multi-row executemany straight into the SQLite file, in the format SQLAlchemy stores."""
    raw = cw.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN")
        rows, head = [], chain.GENESIS
        for seq, at, *rest in hashed_rows(count):
            rows.append((seq, None, at.strftime("%Y-%m-%d %H:%M:%S.%f"), *rest))
            head = rest[-1]
            if len(rows) == BATCH:
                cursor.executemany(f"INSERT INTO case_events ({COLUMNS}) VALUES ({', '.join('?' * 12)})", rows)
                rows = []
        if rows:
            cursor.executemany(f"INSERT INTO case_events ({COLUMNS}) VALUES ({', '.join('?' * 12)})", rows)
        cursor.execute("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1", (count, head))
        cursor.execute("COMMIT")
        return head
    finally:
        raw.close()


def fill_postgres(cw, count: int) -> str:
    """COPY into PostgreSQL."""
    raw = cw.engine.raw_connection()
    try:
        head = chain.GENESIS
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY case_events ({COLUMNS}) FROM STDIN") as copy:
                for seq, at, *rest in hashed_rows(count):
                    copy.write_row((seq, None, at, *rest))
                    head = rest[-1]
            cursor.execute("UPDATE chain_head SET seq = %s, hash = %s WHERE id = 1", (count, head))
        raw.commit()
        return head
    finally:
        raw.close()


def timed_verify(cw, typed: bool = False) -> tuple[audit.Verification, float]:
    with cw.reader() as uow:
        start = time.perf_counter()
        if typed:
            head_seq, head_hash = uow.session.execute(text("SELECT seq, hash FROM chain_head")).one()
            result = audit._verify_typed(uow.session, head_seq, head_hash, 20_000, (1, chain.GENESIS, head_seq == 0))
        else:
            result = audit.verify(uow.session)
        return result, time.perf_counter() - start


def hashing_baseline(count: int) -> float:
    """The floor without a database: the two SHA-256 per event of the same canonical bytes, nothing else."""
    sample = min(count, 200_000)
    pairs = []
    for seq, at, actor, role, action, from_state, to_state, data, data_digest, prev, _ in hashed_rows(sample):
        content = chain.canonical([seq, None, chain._stamp(at), actor, role, action, from_state, to_state, data_digest])
        pairs.append((chain.canonical(json.loads(data)), prev.encode() + b"\n" + content))
    sha = hashlib.sha256
    start = time.perf_counter()
    for data_bytes, link in pairs:
        sha(data_bytes).hexdigest()
        sha(link).hexdigest()
    return rate(sample, time.perf_counter() - start)


def report(name: str, cw, fill, baseline: float) -> None:
    start = time.perf_counter()
    head = fill(cw, N)
    filled = time.perf_counter() - start
    result, seconds = timed_verify(cw)
    assert result.ok and result.count == N and result.head_hash == head, result.describe()
    events_per_s = rate(N, seconds)
    verdict = "meets" if events_per_s >= TARGET else "MISSES"
    print(
        f"  {name}: generated {N:,} events in {filled:.1f} s; verify {seconds:.2f} s = {events_per_s:,.0f} events/s "
        f"({verdict} the {TARGET:,}/s target; {events_per_s / baseline:.2f} x plain hashing)"
    )
    typed, typed_seconds = timed_verify(cw, typed=True)
    assert typed.ok
    print(f"  {name}: the typed ORM-column walk (before the fast path) {rate(N, typed_seconds):,.0f} events/s")


def main() -> None:
    baseline = hashing_baseline(N)
    print(f"  baseline: two SHA-256 of the same bytes, no database: {baseline:,.0f} events/s")
    cw = fresh_runtime(name="audit.db")
    try:
        report("SQLite", cw, fill_sqlite, baseline)
    finally:
        cw.engine.dispose()
        shutil.rmtree(Path(cw.engine.url.database).parent)  # about 0.5 GB at 1M events
    if not PG_URL:
        print("  PostgreSQL: skipped (set BENCH_AUDIT_PG_URL to a scratch database)")
        return
    cw = bootstrap(Settings(database_url=PG_URL))
    try:
        with cw.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        migrate(cw.engine)
        report("PostgreSQL", cw, fill_postgres, baseline)
    finally:
        cw.engine.dispose()


if __name__ == "__main__":
    main()
