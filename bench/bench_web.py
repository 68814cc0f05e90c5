"""Web: p95 of the dashboard, the audit log (every filter), the queue and a case's disclosure log over real HTTP
at 10k / 100k / 1M cases (and a list consultation for every fifth case: 200,000 at 1M).

Each size is loaded once by `bench.loader` (a hash chain `casework audit verify` accepts) into
BENCH_WEB_DIR (SQLite files) or, with BENCH_WEB_PG_URL, one PostgreSQL schema per size, and reused
by later runs. `casework serve` (waitress) serves it in a subprocess; the client signs in through the
sign-in form like a person. GET /login, measured in the same run, is the baseline every page is
given against (the machine is shared: read ratios, and the load average printed with them).
Target: every page p95 < 100 ms at 1M cases.

At each size BENCH_WEB_WRITES new cases also go through intake and their whole lifecycle, in this process
through the services as deployed, on the loaded database and on an empty one in the same run: the ratio
says whether an action's cost grows with the data (indexes deeper and colder).
"""

from __future__ import annotations

import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import loader
from bench.bench_core import lifecycle_rates, payload
from bench.common import free_port, runtime

SIZES = [int(n) for n in os.environ.get("BENCH_WEB_SIZES", "10000,100000,1000000").split(",")]
DIRECTORY = Path(os.environ.get("BENCH_WEB_DIR", Path(tempfile.gettempdir()) / "casework-bench-web"))
PG_URL = os.environ.get("BENCH_WEB_PG_URL", "")
RUNS = int(os.environ.get("BENCH_WEB_RUNS", "60"))
WRITES = int(os.environ.get("BENCH_WEB_WRITES", "1000"))
TARGET_MS = 100.0
SUPERVISOR, AUDITOR = "wk.super", "bench.auditor"


def pages(size: int) -> list[tuple[str, str, str]]:
    """(label, who, path) for every page and filter measured."""
    ref = f"WK-{loader.YEAR}-{size // 4:06d}"
    day = (loader.NOW - loader.SPREAD / 2).date().isoformat()
    week = (loader.NOW - loader.SPREAD / 52).date().isoformat()
    return [
        ("/login (baseline, signed out)", "", "/login"),
        ("/queue (supervisor)", SUPERVISOR, "/queue"),
        ("/cases?state=closed (supervisor)", SUPERVISOR, "/cases?state=closed"),
        ("/cases/<ref> (supervisor)", SUPERVISOR, f"/cases/{ref}"),
        ("/audit/cases/<ref>, its disclosure log (auditor)", AUDITOR, f"/audit/cases/{ref}"),
        ("/audit/disclosures?case=<ref> (auditor)", AUDITOR, f"/audit/disclosures?case={ref}"),
        ("/dashboard (supervisor, 1 force)", SUPERVISOR, "/dashboard"),
        ("/dashboard (auditor, 2 forces)", AUDITOR, "/dashboard"),
        ("/audit (auditor)", AUDITOR, "/audit"),
        ("/audit (supervisor)", SUPERVISOR, "/audit"),
        ("/audit?before=<middle> (auditor)", AUDITOR, f"/audit?before={size * 2}"),
        ("/audit?reference= (auditor)", AUDITOR, f"/audit?reference={ref}"),
        ("/audit?user=wk.admin (supervisor)", SUPERVISOR, "/audit?user=wk.admin"),
        ("/audit?user=bench.auditor (auditor, rare)", AUDITOR, "/audit?user=bench.auditor"),
        ("/audit?action=transition (supervisor)", SUPERVISOR, "/audit?action=transition"),
        ("/audit?action=user_added (auditor, rare)", AUDITOR, "/audit?action=user_added"),
        ("/audit?since=&until= one day (auditor)", AUDITOR, f"/audit?since={day}&until={day}"),
        ("/audit?since= last week (supervisor)", SUPERVISOR, f"/audit?since={week}"),
    ]


class Browser:
    """One keep-alive connection with a cookie, signed in through the form."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, content

    def sign_in(self, username: str) -> None:
        _, form = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form) or re.search(
            r'name="csrf_token" value="([^"]+)"', form
        )
        assert token, "no CSRF token on the sign-in form"
        body = urllib.parse.urlencode({"csrf_token": token.group(1), "username": username, "password": loader.PASSWORD})
        status, _ = self.request("POST", "/login", body)
        assert status == 302, f"sign-in as {username} answered {status}"


def _database(size: int) -> str:
    """The database of this size, loaded now if an earlier run has not."""
    if PG_URL:
        schema = f"bench_web_{size}"
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
        engine = create_engine(PG_URL)
        with engine.begin() as connection:
            present = connection.execute(text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": schema})
            if present.scalar_one():
                engine.dispose()
                return url
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
    else:
        DIRECTORY.mkdir(parents=True, exist_ok=True)
        path = DIRECTORY / f"web-sqlite-{size}.db"
        url = f"sqlite:///{path}"
        if path.with_suffix(".db.done").exists():
            return url
        for stale in DIRECTORY.glob(f"web-sqlite-{size}.db*"):
            stale.unlink()
    started = time.perf_counter()
    counts = loader.load(url, size)
    print(f"  loaded {counts} in {time.perf_counter() - started:.0f} s", flush=True)
    if not PG_URL:
        (DIRECTORY / f"web-sqlite-{size}.db.done").touch()
    return url


def _serve(url: str, instance: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_INSTANCE_PATH": instance, "CASEWORK_SCHEDULER": "off"}
    casework = Path(sys.executable).with_name("casework")
    server = subprocess.Popen(
        [str(casework), "serve", "--port", str(port), "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
            return server, port
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("casework serve did not start")


def _time(browser: Browser, path: str) -> tuple[float, float]:
    for _ in range(3):  # warm caches and templates
        status, _ = browser.request("GET", path)
        assert status == 200, f"{path}: {status}"
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        status, _ = browser.request("GET", path)
        samples.append((time.perf_counter() - started) * 1000)
        assert status == 200, f"{path}: {status}"
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def _measure(size: int, url: str) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory() as instance:
        server, port = _serve(url, instance)
        try:
            browsers = {"": Browser(port)}
            for who in (SUPERVISOR, AUDITOR):
                browsers[who] = Browser(port)
                browsers[who].sign_in(who)
            return {label: _time(browsers[who], path) for label, who, path in pages(size)}
        finally:
            server.terminate()
            server.wait(30)


def _writes(url: str) -> tuple[float, float]:
    """(intakes/s, lifecycles/s) of WRITES new cases taken through every step by the services on `url`."""
    cw, run = runtime(url), time.time_ns()
    flags = [
        {**payload(i), "external_id": f"w-{run}-{i}", "permalink": f"https://fb.com/w-{run}-{i}"} for i in range(WRITES)
    ]
    return lifecycle_rates(cw, flags)


def _write_ratios(url: str, rounds: int = 3) -> tuple[float, float]:
    """Median (intake, lifecycle) rate on the loaded database over an empty one's, rounds interleaved."""
    loaded, empty = [], []
    for _ in range(rounds):
        with _empty_database() as fresh:
            empty.append(_writes(fresh))
        loaded.append(_writes(url))

    def ratio(i: int) -> float:
        return statistics.median(a[i] for a in loaded) / statistics.median(e[i] for e in empty)

    return ratio(0), ratio(1)


@contextmanager
def _empty_database() -> Iterator[str]:
    """The URL of an empty database (a schema of its own on PostgreSQL), removed afterwards."""
    if not PG_URL:
        with tempfile.TemporaryDirectory(prefix="casework-bench-web-empty-") as folder:
            yield f"sqlite:///{Path(folder) / 'empty.db'}"
        return
    schema, engine = "bench_web_empty", create_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def main() -> dict[str, object]:
    database = "PostgreSQL" if PG_URL else "SQLite"
    results: dict[int, dict[str, tuple[float, float]]] = {}
    loads: dict[int, str] = {}
    writes: dict[int, tuple[float, float]] = {}
    for size in SIZES:
        print(f"{database}, {size:,} cases:", flush=True)
        url = _database(size)
        results[size] = _measure(size, url)
        loads[size] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        writes[size] = _write_ratios(url)
    labels = [label for label, _, _ in pages(SIZES[0])]
    print(f"\nms over HTTP, p50 / p95 of {RUNS} requests (in brackets, p50 over /login's p50 that run), {database}")
    print(f"{'page':<46}" + "".join(f"{f'{n:,} cases':>26}" for n in SIZES))
    for label in labels:
        cells = []
        for size in SIZES:
            (p50, p95), base = results[size][label], results[size][labels[0]][0]
            cells.append(f"{p50:7.1f} / {p95:7.1f} ({p50 / base:4.1f}x)")
        print(f"{label:<46}" + "".join(f"{c:>26}" for c in cells))
    print("load average (1, 5, 15 min) after each size: " + "; ".join(f"{n:,}: {v}" for n, v in loads.items()))
    print(f"\nwrites at each size, {WRITES:,} new cases as deployed, rate on the loaded database over an empty one's")
    for size, (intake_ratio, lifecycle_ratio) in writes.items():
        print(f"  {size:>9,} cases: intake {intake_ratio:.2f}x, lifecycle {lifecycle_ratio:.2f}x")
    worst = max(p95 for _, p95 in results[SIZES[-1]].values())
    verdict = "meets" if worst < TARGET_MS else "MISSES"
    print(f"worst p95 at {SIZES[-1]:,} cases {worst:.1f} ms {verdict} the target p95 < {TARGET_MS:.0f} ms")
    return {
        "web_worst_p95_ms": worst,
        "web_writes_intake_ratio": writes[SIZES[-1]][0],
        "web_writes_lifecycle_ratio": writes[SIZES[-1]][1],
    }


if __name__ == "__main__":
    main()
