"""Writers on PostgreSQL: POST /api/v1/flags with 1 and 2 gunicorn workers, what backends wait on, the chain's ceiling.

Each run gets a fresh schema and the same load (CLIENTS threads, a new connection per request, as
bench_intake); 1 and 2 workers alternate for ROUNDS rounds and the ratio is the median of the rounds'.
A sampler reads pg_stat_activity every few milliseconds during the load
and counts the samples of busy client backends (active or idle in a transaction) that wait on a lock.
The chain's ceiling is measured in process: THREADS connections appending one event per transaction
(nothing else in it; queued, then linked after the commit) against the same threads committing one
row each to a table of their own.
Targets: 2 workers >= 1.5x 1 worker; no row-lock waits. Needs CASEWORK_BENCH_DATABASE_URL (or
CASEWORK_TEST_DATABASE_URL); that database's public schema is recreated.
"""

from __future__ import annotations

import collections
import http.client
import os
import statistics
import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text

from bench.bench_intake import _payload, _prepare, _reset_postgres, _serve
from bench.common import free_port, rate
from casework.clock import UTC
from casework.storage.db import make_engine
from casework.storage.uow import UnitOfWork

REQUESTS = int(os.environ.get("BENCH_WRITERS_REQUESTS", 1000))
ROUNDS = int(os.environ.get("BENCH_WRITERS_ROUNDS", 2))
CLIENTS = 8
THREADS = 4
CEILING_SECONDS = float(os.environ.get("BENCH_WRITERS_CEILING_SECONDS", 5))
_BUSY = text(
    "SELECT wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
    "AND state IN ('active', 'idle in transaction')"
)


class Sampler(threading.Thread):
    """Samples what the database's busy backends wait on until stopped."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.engine = make_engine(url, isolation_level="AUTOCOMMIT")
        self.stop = threading.Event()
        self.samples = 0
        self.waits: collections.Counter[tuple[str, str, str]] = collections.Counter()

    def run(self) -> None:
        with self.engine.connect() as connection:
            while not self.stop.wait(0.005):
                for kind, name, query in connection.execute(_BUSY):
                    self.samples += 1
                    if kind == "Lock":
                        self.waits[(name, " ".join((query or "").split()), kind)] += 1
        self.engine.dispose()

    def lock_share(self) -> float:
        return sum(self.waits.values()) / self.samples if self.samples else 0.0

    def row_lock_share(self) -> float:
        rows = sum(n for (name, _, _), n in self.waits.items() if name in ("tuple", "transactionid"))
        return rows / self.samples if self.samples else 0.0


def _load(port: int, secret: str, first: int, count: int) -> tuple[float, dict[int, int]]:
    """POST `count` new flags from CLIENTS threads; requests/s and the statuses seen."""
    statuses: collections.Counter[int] = collections.Counter()
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def client(k: int) -> None:
        for n in range(first + k, first + count, CLIENTS):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("POST", "/api/v1/flags", body=_payload(n), headers=headers)
            status = connection.getresponse().status
            connection.close()
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return rate(count, time.perf_counter() - start), dict(statuses)


def bench_workers(url: str, workers: int) -> tuple[float, Sampler]:
    _reset_postgres(url)
    secret = _prepare(url)
    port = free_port()
    server = _serve(url, port, workers)
    try:
        _load(port, secret, 0, CLIENTS * 10)  # warm every worker's pool and caches
        sampler = Sampler(url)
        sampler.start()
        per_second, statuses = _load(port, secret, CLIENTS * 10, REQUESTS)
        sampler.stop.set()
        sampler.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"  {workers} worker(s): {per_second:6.0f} requests/s, statuses {statuses}; {sampler.samples} busy-backend "
        f"samples, {sampler.lock_share():.1%} waiting on a lock ({sampler.row_lock_share():.1%} on a row lock)"
    )
    for (name, query, _), n in sampler.waits.most_common(3):
        print(f"      {n:5d} x {name}: {query}")
    return per_second, sampler


def _threads_for(seconds: float, work: Callable[[], None]) -> float:
    """Run `work` in a loop in THREADS threads for `seconds`; calls per second over all of them."""
    done = [0] * THREADS
    stop = time.monotonic() + seconds

    def loop(k: int) -> None:
        while time.monotonic() < stop:
            work()
            done[k] += 1

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


def bench_chain_ceiling(url: str) -> tuple[float, float]:
    """Events/s through the one chain (queue, then linker), and single-row commits/s with no shared row."""
    _reset_postgres(url)
    _prepare(url)
    engine = make_engine(url, pool_size=THREADS)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_free_rows (id bigserial PRIMARY KEY, at timestamptz)"))

    def one_event() -> None:
        with UnitOfWork(engine) as uow:
            uow.record("bench_event", at=datetime.now(UTC), actor="system:bench")
            uow.commit()

    def one_row() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO bench_free_rows (at) VALUES (now())"))

    free = _threads_for(CEILING_SECONDS, one_row)
    chained = _threads_for(CEILING_SECONDS, one_event)
    engine.dispose()
    return chained, free


def main() -> None:
    url = os.environ.get("CASEWORK_BENCH_DATABASE_URL") or os.environ.get("CASEWORK_TEST_DATABASE_URL")
    if not url:
        print("skipped: no PostgreSQL (set CASEWORK_BENCH_DATABASE_URL; its public schema is recreated)")
        return
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"POST /api/v1/flags, gunicorn sync workers, {CLIENTS} clients, {REQUESTS} requests each, {ROUNDS} rounds:")
    ratios, busy, row_waits = [], 0, 0
    for _ in range(ROUNDS):  # 1 then 2 workers, side by side in time, so each ratio shares its load
        one, _sampler = bench_workers(url, 1)
        two, sampler = bench_workers(url, 2)
        ratios.append(two / one)
        busy += sampler.samples
        row_waits += round(sampler.row_lock_share() * sampler.samples)
    ratio = statistics.median(ratios)
    verdict = "target met" if ratio >= 1.5 else "BELOW TARGET"
    rows = f"{row_waits / busy:.1%} of {busy} samples" if row_waits else "none"
    print(
        f"  2 workers / 1 worker: {', '.join(f'{r:.2f}x' for r in ratios)}, median {ratio:.2f}x "
        f"(target >= 1.5x: {verdict}); row-lock waits at 2 workers: {rows} (target: none)"
    )
    chained, free = bench_chain_ceiling(url)
    print(
        f"one chain, {THREADS} threads, one event per transaction: {chained:,.0f} events/s; "
        f"the same threads committing a row each: {free:,.0f}/s (chain / free: {chained / free:.2f})"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
