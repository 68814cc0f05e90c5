"""Core engine: intake and lifecycle throughput against plain sqlite3, and memory at 1k vs 100k cases."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time

from bench.common import fresh_runtime, peak_rss_mb, rate
from casework.access import users
from casework.cases import actions
from casework.intake import flags as intake

N = int(os.environ.get("BENCH_CORE_CASES", "2000"))
RSS_LARGE = int(os.environ.get("BENCH_RSS_CASES", "100000"))
STEPS = [
    ("admin", "start_review", {}),
    ("admin", "refer", {"category": ["hate_crime"], "strands": ["race"], "threat_to_life": "no", "note": "advise"}),
    ("bureau", "give_advice", {"outcome": "crime_recorded", "crime_reference": "23/1/26", "advice": "record"}),
    ("comms", "close", {"actions": ["hidden"], "note": "done"}),
]


def payload(i: int) -> dict:
    return {
        "force": "warwickshire",
        "platform": "facebook",
        "channel": "Page",
        "external_id": f"b-{i}",
        "permalink": f"https://facebook.com/b-{i}",
        "text": f"hostile comment number {i} " * 4,
        "reason": "race",
        "author_handle": f"author{i % 500}",
    }


def staff(cw):
    made = {}
    for kind, role in (("admin", "channel_admin"), ("bureau", "crime_bureau"), ("comms", "comms")):
        users.add_user(cw, f"bench.{kind}", roles=[role], forces=["warwickshire"])
        made[kind] = users.actor_for(cw, f"bench.{kind}")
    return made


def measure_service(count: int, with_reactions: bool) -> tuple[float, float]:
    """Through the services; without reactions is the engine of issue #2 alone (no SLA clocks, outbox, retention)."""
    cw = fresh_runtime()
    if not with_reactions:
        cw.handlers = []
    who = staff(cw)
    start = time.perf_counter()
    refs = [intake.flag_comment(cw, who["admin"], payload(i)).case.reference for i in range(count)]
    intake_s = time.perf_counter() - start
    start = time.perf_counter()
    for ref in refs:
        for kind, trigger, inputs in STEPS:
            actions.apply_trigger(cw, who[kind], ref, trigger, inputs)
    lifecycle_s = time.perf_counter() - start
    cw.engine.dispose()
    return rate(count, intake_s), rate(count, lifecycle_s)


def measure_baseline(count: int) -> tuple[float, float]:
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
        p = payload(i)
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
        for step, (_, trigger, inputs) in enumerate(STEPS):
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


def rss_after(count: int) -> float:
    """Peak RSS of a fresh process that flags `count` cases (run in a subprocess)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_core", "--rss", str(count)], check=True, capture_output=True, text=True
    ).stdout
    return float(out.strip().splitlines()[-1])


def _rss_child(count: int) -> None:
    cw = fresh_runtime()
    who = staff(cw)
    for i in range(count):
        intake.flag_comment(cw, who["admin"], payload(i))
    print(peak_rss_mb())  # this process's own high-water mark (VmHWM), not the parent's


def main() -> None:
    base_intake, base_life = measure_baseline(N)
    core_intake, core_life = measure_service(N, with_reactions=False)
    full_intake, full_life = measure_service(N, with_reactions=True)
    print(f"cases: {N} (SQLite file, WAL, each action its own transaction)")
    print(
        f"(c) baseline plain sqlite3 (case, comment, event rows): intake {base_intake:7.0f}/s  "
        f"lifecycle {base_life:6.0f} cases/s"
    )
    print(
        f"(a) intake via services, engine only:     {core_intake:7.0f}/s  ratio {core_intake / base_intake:.3f} "
        f"(target >= 0.25)"
    )
    print(
        f"(b) lifecycle via services, engine only:  {core_life:7.0f}/s  ratio {core_life / base_life:.3f} "
        f"(target >= 0.10, goal 0.25)"
    )
    print("    with SLA clocks, outbox and retention (more rows than the baseline writes):")
    print(
        f"    intake {full_intake:7.0f}/s  ratio {full_intake / base_intake:.3f};  "
        f"lifecycle {full_life:6.0f} cases/s  ratio {full_life / base_life:.3f}"
    )
    small, large = rss_after(1000), rss_after(RSS_LARGE)
    print(
        f"peak RSS: {small:.1f} MB after 1k cases, {large:.1f} MB after {RSS_LARGE} cases; "
        f"difference {large - small:+.1f} MB (target within 50 MB)"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rss":
        _rss_child(int(sys.argv[2]))
    else:
        main()
