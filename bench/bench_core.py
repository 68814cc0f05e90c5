"""Core: intake and lifecycle of the product as deployed, against raw sqlite3 and the peers' workload, same run.

The headline is casework as deployed (bootstrap's handlers on: SLA clocks, outbox, retention) against the peers'
raw sqlite3 line (a case row, then per action a guarded check, an UPDATE and one history row), measured here in
the same process and window. Two more lines: the like-for-like baseline (casework's own rows in its own schema,
plain sqlite3) and the engine alone (no reactions). The workload is the peers': create N cases, one commit each,
then every case's first transition, then every case's second, and so on, each action reloading its case.
The raw line runs again at casework's page size (`casework.storage.db.PAGE_SIZE`), which makes raw faster
too, so that the ratio to it shows what is casework's own. A last line replays the exact statements casework
sent, with bare sqlite3 (`bench.replay`): the most its schema allows, were its Python free. Rounds are
interleaved (raw, deployed, ... raw, deployed) and each figure is the median of its rounds.

BENCH_QUICK=1 runs 3 rounds of 1,000 cases without the engine-only line and the memory check: under a minute.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from bench.baselines import like_for_like, peer_raw
from bench.common import fresh_runtime, peak_rss_mb, rate
from bench.replay import Recording
from casework.access import users
from casework.cases import actions
from casework.errors import UserNotFound
from casework.intake import flags as intake
from casework.storage.db import PAGE_SIZE

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
N = int(os.environ.get("BENCH_CORE_CASES", "1000" if QUICK else "2000"))
ROUNDS = int(os.environ.get("BENCH_CORE_ROUNDS", "3"))
RSS_LARGE = int(os.environ.get("BENCH_RSS_CASES", "100000"))
TARGETS = {"lifecycle": (0.12, 0.25), "intake": (0.15, 0.5)}  # as deployed, ratio to raw: (target, goal)
STEPS = [
    ("admin", "start_review", {}),
    ("admin", "refer", {"category": ["hate_crime"], "strands": ["race"], "threat_to_life": "no", "note": "advise"}),
    ("bureau", "give_advice", {"outcome": "crime_recorded", "crime_reference": "23/1/26", "advice": "record"}),
    ("comms", "close", {"actions": ["hidden"], "note": "done"}),
]
Measure = Callable[[int, list[dict]], tuple[float, float]]


def payload(i: int) -> dict:
    return {
        "force": "warwickshire",
        "platform": "facebook",
        "channel": "Page",
        "external_id": f"b-{i}",
        "permalink": f"https://facebook.com/b-{i}",
        "text": f"hostile comment number {i} about the people on this street, about two hundred characters " * 2,
        "reason": "race",
        "author_handle": f"author{i % 500}",
    }


def staff(cw):
    """The three who take a case through its lifecycle, added unless an earlier run on the database did."""
    made = {}
    for kind, role in (("admin", "channel_admin"), ("bureau", "crime_bureau"), ("comms", "comms")):
        try:
            users.get_user(cw, f"bench.{kind}")
        except UserNotFound:
            users.add_user(cw, f"bench.{kind}", roles=[role], forces=["warwickshire"])
        made[kind] = users.actor_for(cw, f"bench.{kind}")
    return made


def through_services(with_reactions: bool) -> Measure:
    """casework through its services; without reactions it is the engine alone (no clocks, outbox, retention)."""

    def measure(count: int, payloads: list[dict]) -> tuple[float, float]:
        cw = fresh_runtime()
        if not with_reactions:
            cw.handlers = []
        return lifecycle_rates(cw, payloads[:count])

    return measure


def lifecycle_rates(cw, payloads: list[dict]) -> tuple[float, float]:
    """(intakes/s, lifecycles/s) of the payloads flagged, then taken through STEPS a step at a time; disposes `cw`."""
    who = staff(cw)
    start = time.perf_counter()
    refs = [intake.flag_comment(cw, who["admin"], p).case.reference for p in payloads]
    intake_s = time.perf_counter() - start
    start = time.perf_counter()
    for kind, trigger, inputs in STEPS:
        for ref in refs:
            actions.apply_trigger(cw, who[kind], ref, trigger, inputs)
    lifecycle_s = time.perf_counter() - start
    cw.engine.dispose()
    return rate(len(payloads), intake_s), rate(len(payloads), lifecycle_s)


def statements_per_action(recording: Recording) -> dict[str, float]:
    """SQL statements the engine sends per intake and per transition, as deployed (a count load cannot distort).

    The median over the recorded actions of each kind, so once-per-process reads (the recipients snapshot)
    are left out; BEGIN is counted, COMMIT (a driver call, not a statement) is not.
    """
    counts = {"intake": statistics.median(len(statements) for statements in recording.intakes)}
    for step, (_, trigger, _) in enumerate(STEPS):
        steps = recording.transitions[step * recording.count : (step + 1) * recording.count]
        counts[trigger] = statistics.median(len(statements) for statements in steps)
    counts["transition"] = statistics.mean(counts[trigger] for _, trigger, _ in STEPS)
    return counts


def rounds(lines: dict[str, Measure], count: int, payloads: list[dict]) -> dict[str, tuple[float, float]]:
    """Interleave the lines round by round; the median (intake, lifecycle) of each."""
    seen: dict[str, list[tuple[float, float]]] = {name: [] for name in lines}
    for _ in range(ROUNDS):
        for name, measure in lines.items():
            seen[name].append(measure(count, payloads))
    return {
        name: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        for name, runs in seen.items()
    }


def rss_after(count: int) -> float:
    """Peak RSS of a fresh process that takes `count` cases through their whole lifecycle (a subprocess)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_core", "--rss", str(count)], check=True, capture_output=True, text=True
    ).stdout
    return float(out.strip().splitlines()[-1])


def _rss_child(count: int) -> None:
    cw = fresh_runtime()
    who = staff(cw)
    for i in range(count):
        reference = intake.flag_comment(cw, who["admin"], payload(i)).case.reference
        for kind, trigger, inputs in STEPS:
            actions.apply_trigger(cw, who[kind], reference, trigger, inputs)
    print(peak_rss_mb())  # this process's own high-water mark (VmHWM), not the parent's


def _verdict(kind: str, ratio: float) -> str:
    target, goal = TARGETS[kind]
    met = "goal met" if ratio >= goal else "target met" if ratio >= target else "BELOW TARGET"
    return f"target >= {target:.2f}, goal {goal:.2f}: {met}"


def main() -> dict[str, float]:
    payloads = [payload(i) for i in range(N)]
    lines: dict[str, Measure] = {
        "raw": peer_raw,
        "raw_pages": lambda n, p: peer_raw(n, p, page_size=PAGE_SIZE),
        "deployed": through_services(with_reactions=True),
        "like": lambda n, p: like_for_like(n, p, STEPS),
    }
    recording = Recording(N, payloads, STEPS, staff)
    lines["replay"] = lambda n, p: recording.replay()
    if not QUICK:
        lines["engine"] = through_services(with_reactions=False)
    got = rounds(lines, N, payloads)
    raw_in, raw_life = got["raw"]
    print(f"cases: {N}, median of {ROUNDS} interleaved rounds, SQLite WAL synchronous=NORMAL, one commit per action")
    print(f"{'line':58} {'intake/s':>9} {'ratio':>6} {'cases/s':>8} {'ratio':>6}")
    labels = {
        "raw": "raw sqlite3, peer workload (state + 1 history row)",
        "raw_pages": f"the same raw line with casework's {PAGE_SIZE:,}-byte pages",
        "deployed": "casework as deployed (clocks, outbox, retention on)",
        "like": "like-for-like sqlite3 (casework's rows and chain)",
        "engine": "casework engine only (no reactions)",
        "replay": "casework's own statements replayed by bare sqlite3",
    }
    for name, (intake_rate, life_rate) in got.items():
        print(
            f"{labels[name]:58} {intake_rate:9.0f} {intake_rate / raw_in:6.3f} "
            f"{life_rate:8.0f} {life_rate / raw_life:6.3f}"
        )
    result = {
        "cases": float(N),
        "intake_ratio": got["deployed"][0] / raw_in,
        "lifecycle_ratio": got["deployed"][1] / raw_life,
        "like_for_like_lifecycle_ratio": got["deployed"][1] / got["like"][1],
        "same_pages_intake_ratio": got["deployed"][0] / got["raw_pages"][0],
        "same_pages_lifecycle_ratio": got["deployed"][1] / got["raw_pages"][1],
        "replay_intake_ratio": got["replay"][0] / raw_in,
        "replay_lifecycle_ratio": got["replay"][1] / raw_life,
    }
    if "engine" in got:
        result["engine_intake_ratio"] = got["engine"][0] / raw_in
        result["engine_lifecycle_ratio"] = got["engine"][1] / raw_life
    print(
        f"as deployed: lifecycle {result['lifecycle_ratio']:.3f}x raw "
        f"({_verdict('lifecycle', result['lifecycle_ratio'])})"
    )
    print(f"as deployed: intake    {result['intake_ratio']:.3f}x raw ({_verdict('intake', result['intake_ratio'])})")
    print(
        f"as deployed, to raw at casework's page size: lifecycle {result['same_pages_lifecycle_ratio']:.3f}x, "
        f"intake {result['same_pages_intake_ratio']:.3f}x"
    )
    for kind in TARGETS:
        ceiling = result[f"replay_{kind}_ratio"]
        print(
            f"ceiling of the schema ({kind}, its statements with no Python): {ceiling:.3f}x raw"
            + ("; the target needs fewer writes per action" if ceiling < TARGETS[kind][0] else "")
        )
    counts = statements_per_action(recording)
    result["statements_per_intake"] = counts["intake"]
    result["statements_per_transition"] = counts["transition"]
    steps = ", ".join(f"{trigger} {counts[trigger]:.0f}" for _, trigger, _ in STEPS)
    print(f"SQL statements: intake {counts['intake']:.0f}; per transition {counts['transition']:.2f} ({steps})")
    if not QUICK:
        small, large = rss_after(1000), rss_after(RSS_LARGE)
        result["rss_growth_mb"] = large - small
        print(
            f"peak RSS, full lifecycles: {small:.1f} MB after 1k cases, {large:.1f} MB after {RSS_LARGE:,} cases; "
            f"difference {large - small:+.1f} MB (target within 10 MB)"
        )
    return result


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rss":
        _rss_child(int(sys.argv[2]))
    else:
        print(json.dumps(main()))
