"""Baselines measured in the same run as casework: plain sqlite3, one transaction per action.

`peer_raw` is the peers' raw sqlite3 line (../shared/peers/bench_raw_sqlite.py): a case row, then per action a
guarded state check, an UPDATE and one history row, WAL with synchronous=NORMAL, the same durability as casework's
SQLite engine. `like_for_like` writes the rows casework's engine writes (case, comment, hash-chained events) in
casework's own schema, so its ratio shows the cost of the service layer alone.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.common import fresh_runtime, rate

STATES = ["detected", "admin_review", "crime_bureau_advice", "comms_action", "closed"]
PEER_SCHEMA = """
CREATE TABLE cases (id INTEGER PRIMARY KEY, platform TEXT NOT NULL, comment TEXT NOT NULL, author TEXT NOT NULL,
  created_at TEXT NOT NULL, due_at TEXT NOT NULL, state TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX ix_cases_state ON cases(state);
CREATE INDEX ix_cases_due_at ON cases(due_at);
CREATE TABLE case_history (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),
  actor TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL, ts TEXT NOT NULL, reason TEXT NOT NULL);
CREATE INDEX ix_case_history_case_id ON case_history(case_id);
"""


def peer_raw(count: int, payloads: list[dict], page_size: int | None = None) -> tuple[float, float]:
    """(intake/s, lifecycle cases/s) of the peers' raw sqlite3 approach, stage by stage as the peers run it
    (with SQLite's default page size, as the peers run it, unless `page_size` is given)."""
    path = Path(tempfile.mkdtemp(prefix="casework-bench-raw-")) / "raw.db"
    db = sqlite3.connect(path, isolation_level=None)
    if page_size:
        db.execute(f"PRAGMA page_size={page_size}")
    db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;" + PEER_SCHEMA)
    now = "2026-11-25T09:00:00+00:00"
    ids = []
    start = time.perf_counter()
    for p in payloads[:count]:
        db.execute("BEGIN IMMEDIATE")
        cur = db.execute(
            "INSERT INTO cases(platform, comment, author, created_at, due_at, state, updated_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (p["platform"], p["text"], p["author_handle"], now, now, "detected", now),
        )
        ids.append(cur.lastrowid)
        db.execute("COMMIT")
    intake_s = time.perf_counter() - start
    start = time.perf_counter()
    for step in range(4):
        src, dst = STATES[step], STATES[step + 1]
        for case_id in ids:
            db.execute("BEGIN IMMEDIATE")
            (state,) = db.execute("SELECT state FROM cases WHERE id=?", (case_id,)).fetchone()
            if state != src:
                raise RuntimeError(f"case {case_id} is {state}, not {src}")
            db.execute("UPDATE cases SET state=?, updated_at=? WHERE id=?", (dst, now, case_id))
            db.execute(
                "INSERT INTO case_history(case_id, actor, from_state, to_state, ts, reason) VALUES (?,?,?,?,?,?)",
                (case_id, "bench", src, dst, now, "a reason of about the length people write"),
            )
            db.execute("COMMIT")
    lifecycle_s = time.perf_counter() - start
    db.close()
    return rate(count, intake_s), rate(count, lifecycle_s)


def like_for_like(count: int, payloads: list[dict], steps: list) -> tuple[float, float]:
    """The physical limit: the same rows in the same schema (indexes included) with plain sqlite3,
    one transaction per action, the same pragmas; hashing as the chain does."""
    cw = fresh_runtime(name="baseline.db")
    path = cw.engine.url.database
    cw.engine.dispose()
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
    now = "2026-11-25 09:00:00.000000"

    def event(case_id, action, from_state, to_state, data):
        seq, prev = db.execute("SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
        body = json.dumps(data, sort_keys=True)
        digest = hashlib.sha256(body.encode()).hexdigest()
        this = hashlib.sha256(f"{prev}{seq + 1}{digest}".encode()).hexdigest()
        db.execute(
            "INSERT INTO case_events (seq, case_id, at, actor, action, from_state, to_state, data, "
            "data_digest, prev_hash, hash) VALUES (?, ?, ?, 'bench', ?, ?, ?, ?, ?, ?, ?)",
            (seq + 1, case_id, now, action, from_state, to_state, body, digest, prev, this),
        )
        db.execute("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1", (seq + 1, this))

    start = time.perf_counter()
    for i in range(count):
        p = payloads[i]
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "SELECT id FROM cases WHERE force = ? AND platform = ? AND external_id = ?",
            (p["force"], p["platform"], p["external_id"]),
        ).fetchone()
        number = db.execute(
            "INSERT INTO reference_counters (force, year, last) VALUES ('warwickshire', 2026, 1) "
            "ON CONFLICT (force, year) DO UPDATE SET last = last + 1 RETURNING last"
        ).fetchone()[0]
        cur = db.execute(
            "INSERT INTO cases (reference, force, platform, channel, external_id, permalink, author_key, detected_at, "
            "detected_by, flag_reason, evidence_digest, state, version, threat_to_life, stage_inputs, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'bench', ?, 'x', 'detected', 1, 0, '{}', ?)",
            (
                f"WK-2026-{number:06d}",
                p["force"],
                p["platform"],
                p["channel"],
                p["external_id"],
                p["permalink"],
                p["author_handle"],
                now,
                p["reason"],
                now,
            ),
        )
        captured = json.dumps(p, sort_keys=True)
        db.execute(
            "INSERT INTO comments (case_id, author_handle, text, captured, digest) VALUES (?, ?, ?, ?, ?)",
            (cur.lastrowid, p["author_handle"], p["text"], captured, hashlib.sha256(captured.encode()).hexdigest()),
        )
        event(cur.lastrowid, "flagged", None, "detected", {"reference": f"WK-{i}"})
        db.execute("COMMIT")
    intake_s = time.perf_counter() - start
    states = ["detected", "admin_review", "crime_bureau_advice", "comms_action", "closed"]
    start = time.perf_counter()
    for case_id in range(1, count + 1):
        for step, (_, trigger, inputs) in enumerate(steps):
            db.execute("BEGIN IMMEDIATE")
            db.execute("SELECT * FROM cases WHERE reference = ?", (f"WK-2026-{case_id:06d}",)).fetchone()
            db.execute(
                "UPDATE cases SET state = ?, version = version + 1, stage_inputs = ?, updated_at = ? "
                "WHERE id = ? AND version = ?",
                (states[step + 1], json.dumps({trigger: inputs}), now, case_id, step + 1),
            )
            event(case_id, "transition", states[step], states[step + 1], {"trigger": trigger, "inputs": inputs})
            db.execute("COMMIT")
    lifecycle_s = time.perf_counter() - start
    db.close()
    return rate(count, intake_s), rate(count, lifecycle_s)
