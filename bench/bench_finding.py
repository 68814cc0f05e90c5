"""Finding cases: search and /cases (two filters) p95 (targets < 100 ms, < 50 ms); bulk dismiss vs single actions.

BENCH_FINDING_CASES sets the number of cases (default 100,000). PostgreSQL runs too when
CASEWORK_BENCH_DATABASE_URL is set; its public schema is dropped and rebuilt.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

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


def _load(cw, count: int) -> None:
    """Cases, comments, search documents and tags by Core bulk inserts (the chain is not needed to time reads)."""
    rng = random.Random(14)
    states = [s for s, weight in STATES for _ in range(weight)]
    batch = 10_000
    with cw.engine.begin() as connection:
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
                comments.append(
                    {"case_id": i, "author_handle": handle, "text": body, "captured": {}, "digest": "0" * 64}
                )
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
            connection.execute(insert(Case.__table__), cases)
            connection.execute(insert(Comment.__table__), comments)
            connection.execute(insert(SearchDoc.__table__), docs)
            connection.execute(insert(CaseTag.__table__), tags)


def _time(client, urls: list[str]) -> tuple[float, float]:
    for url in urls[:5]:
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


def _client(app, username):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = username
    return client


def _reads(name: str, cw) -> None:
    users.add_user(cw, "f.admin", roles=["channel_admin"], forces=["warwickshire", "west_mercia"])
    app = create_app({"CASEWORK": cw, "TESTING": True})
    admin = _client(app, "f.admin")
    second = admin.get("/cases?state=closed&platform=x").get_data(as_text=True)
    cursor = second.split("after=")[1].split('"')[0] if "after=" in second else ""
    figures = [
        ("search, a rare word", ["/search?q=w200", "/search?q=w300", "/search?q=w400", "/search?q=w150"], 1),
        ("search, a common word (most cases)", ["/search?q=w0", "/search?q=w1"], 1),
        ("search, two words", ["/search?q=w5+w40", "/search?q=w12+w300"], 1),
        ("search, an author handle (exact)", ["/search?q=author123", "/search?q=author9876"], 1),
        ("search, a reference (jump)", ["/search?q=wk-2025-42", "/search?q=WM-2025-000999"], 1),
        ("/cases?state=closed&platform=x", ["/cases?state=closed&platform=x"], 2),
        ("/cases?state=closed&platform=x, next page", [f"/cases?state=closed&platform=x&after={cursor}"], 2),
        ("/cases?state=comms_action&strand=race", ["/cases?state=comms_action&strand=race"], 2),
        ("/cases?threat_to_life=1&force=warwickshire", ["/cases?threat_to_life=1&force=warwickshire"], 2),
        ("/cases?outcome=no_crime&sort=reference", ["/cases?outcome=no_crime&sort=reference"], 2),
    ]
    worst = {1: 0.0, 2: 0.0}
    for label, urls, kind in figures:
        p50, p95 = _time(admin, urls)
        worst[kind] = max(worst[kind], p95)
        print(f"  {name} {label:<48} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
    for kind, target, what in ((1, SEARCH_TARGET_MS, "search"), (2, LIST_TARGET_MS, "/cases, two filters")):
        verdict = "meets" if worst[kind] < target else "MISSES"
        print(f"  {name} worst {what} p95 {worst[kind]:.1f} ms {verdict} the target < {target:.0f} ms")


def _bulk(name: str, cw) -> None:
    """200 dismissals as one bulk action against 200 single actions, on cases made through the services."""
    users.add_user(cw, "f.clerk", roles=["channel_admin"], forces=["warwickshire"])
    clerk = users.actor_for(cw, "f.clerk")
    refs = []
    for n in range(2 * BULK):
        payload = {
            "force": "warwickshire",
            "platform": "facebook",
            "channel": "page",
            "external_id": f"pile-on-{n}",
            "permalink": f"https://example.com/pile-on/{n}",
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
    _load(cw, CASES)
    if cw.engine.dialect.name == "postgresql":  # what autovacuum does on a live database: ids, GIN pending list
        with cw.engine.begin() as connection:
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))")
            )
        with cw.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    print(f"  {name} setup: {CASES:,} cases with search documents in {time.perf_counter() - started:.1f} s")
    _reads(name, cw)
    _bulk(name, cw)
    cw.engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _run("SQLite", f"sqlite:///{Path(tmp) / 'finding.db'}")
    if url := os.environ.get("CASEWORK_BENCH_DATABASE_URL"):
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        _run("PostgreSQL", url)
    else:
        print("  PostgreSQL: skipped (set CASEWORK_BENCH_DATABASE_URL to a scratch database)")


if __name__ == "__main__":
    main()
