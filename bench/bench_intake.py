"""Intake throughput: bulk import with the detector, and POST /flags through gunicorn with 8 clients."""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import text

from bench.common import free_port
from casework.access import tokens, users
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.intake import flags as intake
from casework.intake import importer
from casework.intake.channels import load_channels
from casework.intake.detector import configured_detector
from casework.storage.db import make_engine
from casework.storage.schema import migrate

ROOT = Path(__file__).resolve().parent.parent
IMPORT_LINES = int(os.environ.get("BENCH_IMPORT_LINES", 100_000))
API_REQUESTS = int(os.environ.get("BENCH_API_REQUESTS", 800))
CLIENTS = 8
HOSTILE = ["I know where you live", "go back to your own country", "r3tard", "i will k1ll you"]
BENIGN = [
    "Thanks to the officers who helped today",
    "What time does the front desk open?",
    "Roads are icy near Kenilworth, take care",
    "Killer deal at the charity auction!",
    "Why does 101 take so long to answer?",
    "Great job at the open day, the kids loved the dogs",
]
CHANNELS = (
    '[[channel]]\nplatform = "youtube"\naccount_id = "UCbench"\nforce = "west_mercia"\n'
    'name = "West Mercia Police (YouTube)"\n'
)


def _thread_line(n: int, rng: random.Random) -> str:
    hostile = rng.random() < 0.02
    words = rng.choice(HOSTILE if hostile else BENIGN)
    comment = {
        "kind": "youtube#comment",
        "id": f"Ugz{n:08d}",
        "snippet": {
            "authorDisplayName": f"@viewer{n % 5000}",
            "authorChannelId": {"value": f"UCviewer{n % 5000}"},
            "textOriginal": f"{words} #{n}",
            "publishedAt": "2026-11-20T09:00:00Z",
            "moderationStatus": "published",
        },
    }
    return json.dumps(
        {
            "kind": "youtube#commentThread",
            "id": f"T{n}",
            "snippet": {"channelId": "UCbench", "videoId": "vid00000001", "topLevelComment": comment},
        }
    )


def _fresh_sqlite(folder: Path, name: str):
    url = f"sqlite:///{folder / name}"
    cw = bootstrap(Settings(database_url=url))
    migrate(cw.engine)
    return cw


def bench_import(folder: Path) -> None:
    rng = random.Random(7)
    data = folder / "threads.jsonl"
    with data.open("w") as f:
        for n in range(IMPORT_LINES):
            f.write(_thread_line(n, rng) + "\n")
    (folder / "channels.toml").write_text(CHANNELS)

    baseline = sqlite3.connect(folder / "baseline.db")
    baseline.execute("CREATE TABLE comments (external_id TEXT PRIMARY KEY, author TEXT, text TEXT)")
    start = time.perf_counter()
    with data.open("rb") as f, baseline:
        rows = (
            (c["id"], c["snippet"]["authorDisplayName"], c["snippet"]["textOriginal"])
            for c in (json.loads(line)["snippet"]["topLevelComment"] for line in f)
        )
        baseline.executemany("INSERT INTO comments VALUES (?, ?, ?)", rows)
    base_rate = IMPORT_LINES / (time.perf_counter() - start)

    cw = _fresh_sqlite(folder, "import.db")
    users.add_user(cw, "bench.admin", roles=["channel_admin"], forces=["west_mercia"])
    actor = users.actor_for(cw, "bench.admin")
    channels = load_channels(folder / "channels.toml", cw.settings.forces)
    errors: list = []
    start = time.perf_counter()
    report = importer.import_file(
        cw,
        data,
        "youtube",
        actor,
        channels=channels,
        detector=configured_detector(),
        on_error=lambda n, r: errors.append((n, r)),
    )
    rate = IMPORT_LINES / (time.perf_counter() - start)
    start = time.perf_counter()
    again = importer.import_file(
        cw,
        data,
        "youtube",
        actor,
        channels=channels,
        detector=configured_detector(),
        on_error=lambda n, r: errors.append((n, r)),
    )
    rerun = IMPORT_LINES / (time.perf_counter() - start)
    cw.engine.dispose()
    print(
        f"import {IMPORT_LINES} YouTube lines (SQLite, detector on): {rate:,.0f} lines/s; "
        f"{report.created} cases, {report.not_flagged} only counted, {len(errors)} errors"
    )
    print(f"  re-run (nothing new, {again.already_present} already present): {rerun:,.0f} lines/s")
    print(
        f"  baseline: plain sqlite3 executemany of the same rows: {base_rate:,.0f} lines/s "
        f"(import is {base_rate / rate:.1f}x slower: detector, validation, evidence digest, audit chain)"
    )


def _prepare(url: str) -> str:
    """Migrate, add a channel admin and return a bearer token for them."""
    cw = bootstrap(Settings(database_url=url))
    migrate(cw.engine)
    users.add_user(cw, "bench.api", roles=["channel_admin"], forces=["warwickshire"])
    secret = tokens.issue_token(cw, "bench.api", "bench").secret
    cw.engine.dispose()
    return secret


def _serve(url: str, port: int, workers: int = 4) -> subprocess.Popen:
    """gunicorn with `workers` sync workers on the database, once it answers."""
    env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_SECRET_KEY": secrets.token_urlsafe(32)}
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    process = subprocess.Popen([*command, "--log-level", "warning", "web.wsgi:app"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/openapi.json")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def _payload(n: int) -> bytes:
    return json.dumps(
        {
            "force": "warwickshire",
            "platform": "x",
            "channel": "@WarksPolice",
            "external_id": f"bench-{n}",
            "permalink": f"https://x.com/i/web/status/{n}",
            "text": f"hostile comment {n}",
            "reason": "threat",
            "author_handle": f"user{n % 300}",
        }
    ).encode()


def _clients(port: int, secret: str) -> tuple[float, dict]:
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def client(k: int) -> None:
        for n in range(k, API_REQUESTS, CLIENTS):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("POST", "/api/v1/flags", body=_payload(n), headers=headers)
            status = connection.getresponse().status
            connection.close()
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return API_REQUESTS / (time.perf_counter() - start), statuses


def bench_api(name: str, url: str) -> float:
    secret = _prepare(url)
    port = free_port()
    server = _serve(url, port)
    try:
        rate, statuses = _clients(port, secret)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"POST /api/v1/flags on {name}, gunicorn 4 workers, {CLIENTS} clients, {API_REQUESTS} requests: "
        f"{rate:,.0f} requests/s; statuses {statuses}"
    )
    return rate


def bench_service(folder: Path) -> float:
    cw = _fresh_sqlite(folder, "service.db")
    users.add_user(cw, "bench.svc", roles=["channel_admin"], forces=["warwickshire"])
    actor = users.actor_for(cw, "bench.svc")
    start = time.perf_counter()
    for n in range(API_REQUESTS):
        intake.flag_comment(cw, actor, json.loads(_payload(n)))
    rate = API_REQUESTS / (time.perf_counter() - start)
    cw.engine.dispose()
    print(f"baseline: flag_comment in-process, one thread, SQLite: {rate:,.0f} flags/s")
    return rate


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench_import(folder)
        service = bench_service(folder)
        sqlite_rate = bench_api("SQLite", f"sqlite:///{folder / 'api.db'}")
        print(f"  SQLite API / in-process service: {sqlite_rate / service:.2f}")
        pg_url = os.environ.get("CASEWORK_BENCH_DATABASE_URL") or os.environ.get("CASEWORK_TEST_DATABASE_URL")
        if not pg_url:
            print("PostgreSQL: skipped (set CASEWORK_BENCH_DATABASE_URL; its public schema is recreated)")
            return
        _reset_postgres(pg_url)
        pg_rate = bench_api("PostgreSQL", pg_url)
        print(f"  PostgreSQL / SQLite: {pg_rate / sqlite_rate:.2f}")


if __name__ == "__main__":
    main()
