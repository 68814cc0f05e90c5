"""Finding cases: search and /cases (two filters) p95 (targets < 100 ms, < 50 ms); bulk dismiss vs single actions.

BENCH_FINDING_CASES sets the number of cases (default 100,000). PostgreSQL runs too when
CASEWORK_BENCH_DATABASE_URL is set, in its own schema `bench_finding_<cases>` (the public schema is left alone).
BENCH_FINDING_DIR keeps the SQLite file there; a file or schema already loaded with as many cases is reused, so
1M cases are loaded once (BENCH_FINDING_RELOAD=1 loads again). Each run adds its own 400 pile-on cases.
"""

from __future__ import annotations

import os
import random
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import insert, make_url, text

from bench.common import signed_in_client
from casework.access import users
from casework.bootstrap import bootstrap
from casework.cases import actions
from casework.cases.bulk import Target, apply_to_many
from casework.cases.tables import CaseTag, SearchDoc
from casework.clock import FrozenClock
from casework.config import Settings
from casework.intake import flags as intake
from casework.storage.db import make_engine
from casework.storage.schema import migrate
from casework.storage.tables import Case, Comment
from web import create_app

CASES = int(os.environ.get("BENCH_FINDING_CASES", "100000"))
RUNS = 200
SEARCH_TARGET_MS, LIST_TARGET_MS = 100.0, 50.0
BULK = 200
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
STATES = (("detected", 3), ("admin_review", 5), ("crime_bureau_advice", 4), ("comms_action", 5), ("closed", 83))
PLATFORMS = ("facebook", "facebook", "x", "instagram", "youtube")
VOCABULARY = [f"w{n}" for n in range(5000)]  # word n appears with probability ~ 1/(n+1): a few common, most rare


def _text(rng: random.Random) -> str:
    words = [VOCABULARY[min(int(rng.paretovariate(0.9)) - 1, len(VOCABULARY) - 1)] for _ in range(20)]
    return "comment " + " ".join(words)


def _rows(count: int):
    """Cases, comments, search documents and tags in batches of 10,000 (the chain is not needed to time reads)."""
    rng = random.Random(14)
    states = [s for s, weight in STATES for _ in range(weight)]
    batch = 10_000
    for start in range(1, count + 1, batch):
        cases, comments, docs, tags = [], [], [], []
        for i in range(start, min(start + batch, count + 1)):
            force, prefix = (("warwickshire", "WK"), ("west_mercia", "WM"))[i % 2]
            state, handle, body = rng.choice(states), f"author{rng.randrange(20_000)}", _text(rng)
            detected = NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))
            cases.append(
                {
                    "id": i,
                    "reference": f"{prefix}-2025-{i:06d}",
                    "force": force,
                    "platform": rng.choice(PLATFORMS),
                    "channel": "page",
                    "external_id": f"bulk-{i}",
                    "permalink": f"https://example.com/c/{i}",
                    "author_key": f"facebook:{handle}",
                    "posted_at": detected,
                    "detected_at": detected,
                    "detected_by": "bench",
                    "flag_reason": "bench",
                    "evidence_digest": "0" * 64,
                    "state": state,
                    "version": 1,
                    "threat_to_life": rng.random() < 0.02,
                    "outcome": "no_crime" if state == "closed" else None,
                    "stage_inputs": {},
                    "updated_at": detected,
                }
            )
            comments.append({"case_id": i, "author_handle": handle, "text": body, "captured": {}, "digest": "0" * 64})
            docs.append(
                {
                    "case_id": i,
                    "force": force,
                    "comment_text": body,
                    "author": handle,
                    "handle_key": handle,
                    "notes": "",
                }
            )
            if state != "detected" and state != "admin_review":
                tags.append({"case_id": i, "tag": f"strand:{rng.choice(('race', 'religion', 'disability'))}"})
        yield {Case: cases, Comment: comments, SearchDoc: docs, CaseTag: tags}


def _load(cw, count: int) -> None:
    """One transaction: Core bulk inserts on SQLite, COPY on PostgreSQL (far faster there than INSERTs)."""
    with cw.engine.begin() as connection:
        for batch in _rows(count):
            for model, rows in batch.items():
                if not rows:
                    continue
                if cw.engine.dialect.name == "postgresql":
                    _copy(connection, model.__table__.name, rows)
                else:
                    connection.execute(insert(model.__table__), rows)


def _copy(connection, table: str, rows: list[dict]) -> None:
    names = list(rows[0])
    statement = f"COPY {table} ({', '.join(names)}) FROM STDIN"
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([orjson.dumps(v).decode() if isinstance(v, dict) else v for v in row.values()])


def _loaded(cw, count: int) -> bool:
    """The file or schema (named for its size) was filled before: a load is one transaction, all or nothing."""
    with cw.engine.connect() as connection:
        last = connection.execute(text("SELECT external_id FROM cases WHERE id = :id"), {"id": count}).scalar()
        return last == f"bulk-{count}"


def _time(client, urls: list[str]) -> tuple[float, float]:
    for url in urls[:5]:  # warm caches and templates
        assert client.get(url).status_code in (200, 302), url
    samples = []
    for i in range(RUNS):
        url = urls[i % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 302), (url, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _user(cw, username: str, forces: list[str]) -> None:
    with cw.reader() as uow:
        if users.find_user(uow.session, username):
            return
    users.add_user(cw, username, roles=["channel_admin"], forces=forces)


def _reads(name: str, cw) -> None:
    _user(cw, "f.admin", ["warwickshire", "west_mercia"])
    app = create_app({"CASEWORK": cw, "TESTING": True, "SECRET_KEY": secrets.token_urlsafe(32)})
    admin = signed_in_client(app, "f.admin")
    second = admin.get("/cases?state=closed&platform=x").get_data(as_text=True)
    cursor = second.split("after=")[1].split('"')[0] if "after=" in second else ""
    figures = [  # kind 0: the baseline, a page whose cost does not grow with the table (key lookups)
        ("baseline: one case's page", ["/cases/WK-2025-000002", "/cases/WM-2025-000999"], 0),
        ("search, a rare word", ["/search?q=w200", "/search?q=w300", "/search?q=w400", "/search?q=w150"], 1),
        ("search, a common word (most cases)", ["/search?q=w0", "/search?q=w1"], 1),
        ("search, a middling word (2-5% of cases)", ["/search?q=w30", "/search?q=w60"], 1),
        ("search, two words", ["/search?q=w5+w40", "/search?q=w12+w300"], 1),
        ("search, an author handle (exact)", ["/search?q=author123", "/search?q=author9876"], 1),
        ("search, a reference (jump)", ["/search?q=wk-2025-42", "/search?q=WM-2025-000999"], 1),
        ("/cases?state=closed&platform=x", ["/cases?state=closed&platform=x"], 2),
        ("/cases?state=closed&platform=x, next page", [f"/cases?state=closed&platform=x&after={cursor}"], 2),
        ("/cases?state=comms_action&strand=race", ["/cases?state=comms_action&strand=race"], 2),
        ("/cases?threat_to_life=1&force=warwickshire", ["/cases?threat_to_life=1&force=warwickshire"], 2),
        ("/cases?outcome=no_crime&sort=reference", ["/cases?outcome=no_crime&sort=reference"], 2),
        ("/cases?state=detected&threat_to_life=1 (0.06%)", ["/cases?state=detected&threat_to_life=1"], 2),
        ("/cases?channel=nowhere&state=closed (none)", ["/cases?channel=nowhere&state=closed"], 2),
    ]
    worst, baseline = {0: 0.0, 1: 0.0, 2: 0.0}, 0.0
    for label, urls, kind in figures:
        p50, p95 = _time(admin, urls)
        worst[kind] = max(worst[kind], p95)
        baseline = baseline or p95
        print(f"  {name} {label:<48} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   p95 / baseline {p95 / baseline:4.1f}")
    for kind, target, what in ((1, SEARCH_TARGET_MS, "search"), (2, LIST_TARGET_MS, "/cases, two filters")):
        verdict = "meets" if worst[kind] < target else "MISSES"
        print(f"  {name} worst {what} p95 {worst[kind]:.1f} ms {verdict} the target < {target:.0f} ms")


def _bulk(name: str, cw) -> None:
    """200 dismissals as one bulk action against 200 single actions, on cases made through the services."""
    _user(cw, "f.clerk", ["warwickshire"])
    clerk = users.actor_for(cw, "f.clerk")
    run, refs = time.time_ns(), []  # a reused database keeps the pile-ons of earlier runs
    for n in range(2 * BULK):
        payload = {
            "force": "warwickshire",
            "platform": "facebook",
            "channel": "page",
            "external_id": f"pile-on-{run}-{n}",
            "permalink": f"https://example.com/pile-on/{run}/{n}",
            "text": "pile-on comment",
            "reason": "race",
        }
        ref = intake.flag_comment(cw, clerk, payload).case.reference
        refs.append(actions.apply_trigger(cw, clerk, ref, "start_review").case)
    inputs = {"reason_code": "spam", "note": "pile-on"}
    started = time.perf_counter()
    result = apply_to_many(cw, clerk, "dismiss", inputs, [Target(c.reference, c.version) for c in refs[:BULK]])
    bulk_s = time.perf_counter() - started
    assert len(result.done) == BULK, result
    started = time.perf_counter()
    for case in refs[BULK:]:
        actions.apply_trigger(cw, clerk, case.reference, "dismiss", inputs, case.version)
    single_s = time.perf_counter() - started
    print(
        f"  {name} bulk dismiss of {BULK}: {bulk_s * 1000:.0f} ms; {BULK} single dismissals: {single_s * 1000:.0f} ms "
        f"(bulk / single {bulk_s / single_s:.2f}: each case is its own action, by design)"
    )


def _run(name: str, url: str) -> None:
    cw = bootstrap(Settings(database_url=url), clock=FrozenClock(NOW))
    migrate(cw.engine)
    started = time.perf_counter()
    if _loaded(cw, CASES):
        print(f"  {name} setup: reusing {CASES:,} cases loaded before")
    else:
        _load(cw, CASES)
        if cw.engine.dialect.name == "postgresql":
            with cw.engine.begin() as connection:
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))")
                )
        print(f"  {name} setup: {CASES:,} cases with search documents in {time.perf_counter() - started:.1f} s")
    if cw.engine.dialect.name == "postgresql":  # what autovacuum does on a live database: statistics, GIN pending list
        with cw.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    _reads(name, cw)
    _bulk(name, cw)
    cw.engine.dispose()


def _sqlite_file(folder: str) -> Path:
    path = Path(folder) / f"finding-{CASES}.db"
    if os.environ.get("BENCH_FINDING_RELOAD") == "1":
        path.unlink(missing_ok=True)
    return path


def _postgres_schema(url: str) -> str:
    """The URL of this size's own schema, made (or emptied, with BENCH_FINDING_RELOAD=1) first."""
    schema = f"bench_finding_{CASES}"
    engine = make_engine(url)
    with engine.begin() as connection:
        if os.environ.get("BENCH_FINDING_RELOAD") == "1":
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    engine.dispose()
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)


def main() -> None:
    print(f"  load average {' '.join(f'{n:.2f}' for n in os.getloadavg())} (1, 5, 15 min) on {os.cpu_count()} cores")
    if folder := os.environ.get("BENCH_FINDING_DIR"):
        _run("SQLite", f"sqlite:///{_sqlite_file(folder)}")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            _run("SQLite", f"sqlite:///{_sqlite_file(tmp)}")
    if url := os.environ.get("CASEWORK_BENCH_DATABASE_URL"):
        _run("PostgreSQL", _postgres_schema(url))
    else:
        print("  PostgreSQL: skipped (set CASEWORK_BENCH_DATABASE_URL to a scratch database)")
    print(f"  load average {' '.join(f'{n:.2f}' for n in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
