"""Web: server-side time of GET /queue and GET /cases/<ref> with 100k cases in SQLite (target p95 < 50 ms)."""

from __future__ import annotations

import random
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask.json.tag import TaggedJSONSerializer
from sqlalchemy import insert

from casework.access import sessions, users
from casework.bootstrap import bootstrap
from casework.cases import actions
from casework.clock import FrozenClock
from casework.config import Settings
from casework.intake import flags as intake
from casework.sla.models import SlaClock
from casework.storage.schema import migrate
from casework.storage.tables import Case, Comment
from web import create_app

CASES = 100_000
RUNS = 200
TARGET_MS = 50.0
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
STATES = (("detected", 3), ("admin_review", 5), ("crime_bureau_advice", 4), ("comms_action", 5), ("closed", 83))
FORCES = (("warwickshire", "WK"), ("west_mercia", "WM"))


def _bulk_cases(cw, count: int) -> None:
    """Insert cases, comments and SLA clocks with Core bulk inserts; the audit chain is not needed to time reads."""
    rng = random.Random(7)
    states = [s for s, weight in STATES for _ in range(weight)]
    batch = 10_000
    with cw.engine.begin() as connection:
        for start in range(1, count + 1, batch):
            cases, comments, clocks = [], [], []
            for i in range(start, min(start + batch, count + 1)):
                force, prefix = FORCES[i % 2]
                state = rng.choice(states)
                author = f"facebook:author{rng.randrange(20_000)}"
                detected = NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))
                cases.append(
                    {
                        "id": i,
                        "reference": f"{prefix}-2025-{i:06d}",
                        "force": force,
                        "platform": "facebook",
                        "channel": "page",
                        "external_id": f"bulk-{i}",
                        "permalink": f"https://facebook.com/c/{i}",
                        "author_key": author,
                        "posted_at": detected,
                        "detected_at": detected,
                        "detected_by": "bench",
                        "flag_reason": "bench",
                        "evidence_digest": "0" * 64,
                        "state": state,
                        "assignee_id": None,
                        "version": 1,
                        "threat_to_life": False,
                        "outcome": "no_crime" if state == "closed" else None,
                        "stage_inputs": {},
                        "updated_at": detected,
                        "closed_at": detected if state == "closed" else None,
                    }
                )
                comments.append(
                    {
                        "case_id": i,
                        "author_handle": author.split(":")[1],
                        "text": f"bench comment {i} " * 8,
                        "captured": {},
                        "digest": "0" * 64,
                    }
                )
                clocks.extend(_clocks(i, force, state, detected))
            connection.execute(insert(Case.__table__), cases)
            connection.execute(insert(Comment.__table__), comments)
            connection.execute(insert(SlaClock.__table__), clocks)


def _clocks(case_id: int, force: str, state: str, detected: datetime) -> list[dict]:
    """End to end for every case (stopped when closed) and a running stage clock for open ones."""

    def clock(name, hours, stopped=None):
        return {
            "case_id": case_id,
            "name": name,
            "run": 1,
            "force": force,
            "calendar": "24x7",
            "target_seconds": hours * 3600,
            "started_at": detected,
            "warn_at": detected + timedelta(hours=hours * 0.75),
            "due_at": detected + timedelta(hours=hours),
            "stopped_at": stopped,
        }

    if state == "closed":
        return [clock("end_to_end", 120, stopped=detected + timedelta(hours=30))]
    return [clock("end_to_end", 120), clock("crime_recording_decision", 24)]


def _real_cases(cw) -> list[str]:
    """A few cases through the services, so the case page has evidence, decisions and a timeline."""
    for name, role in (
        ("b.admin", "channel_admin"),
        ("b.bureau", "crime_bureau"),
        ("b.comms", "comms"),
        ("b.super", "supervisor"),
    ):
        users.add_user(cw, name, roles=[role], forces=["warwickshire"])
    admin, bureau = users.actor_for(cw, "b.admin"), users.actor_for(cw, "b.bureau")
    refs = []
    for n in range(5):
        ref = intake.flag_comment(
            cw,
            admin,
            {
                "force": "warwickshire",
                "platform": "facebook",
                "channel": "page",
                "external_id": f"real-{n}",
                "permalink": f"https://facebook.com/real/{n}",
                "text": "a real hostile comment",
                "reason": "race",
                "author_handle": "author2",
            },
        ).case.reference  # author2 has ~5 bulk cases in this force too
        actions.apply_trigger(cw, admin, ref, "start_review")
        actions.apply_trigger(
            cw,
            admin,
            ref,
            "refer",
            {"category": ["hate_crime"], "strands": ["race"], "threat_to_life": "no", "note": "please advise"},
        )
        actions.apply_trigger(
            cw,
            bureau,
            ref,
            "give_advice",
            {"outcome": "crime_recorded", "crime_reference": "23/1/26", "advice": "record"},
        )
        actions.add_comment(cw, admin, ref, "called the page owner")
        refs.append(ref)
    return refs


def _time(client, urls: list[str]) -> tuple[float, float]:
    for url in urls[:5]:  # warm caches and templates
        assert client.get(url).status_code == 200, url
    samples = []
    for i in range(RUNS):
        url = urls[i % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _client(app, username):
    """A client with a server-side session for `username`, without the (deliberately slow) password check."""
    cw = app.extensions["casework"]
    live = sessions.start(cw, users.get_user(cw, username))
    sessions.save_data(cw, live.token, TaggedJSONSerializer().dumps({"_user_id": username, "_fresh": True}))
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], live.token)
    return client


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cw = bootstrap(Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}"), clock=FrozenClock(NOW))
        migrate(cw.engine)
        started = time.perf_counter()
        _bulk_cases(cw, CASES)
        refs = _real_cases(cw)
        print(
            f"setup: {CASES:,} cases (with SLA clocks) bulk-inserted + {len(refs)} through the services "
            f"in {time.perf_counter() - started:.1f} s (SQLite file)"
        )
        app = create_app({"CASEWORK": cw, "TESTING": True, "SECRET_KEY": secrets.token_urlsafe(32)})
        figures = [
            ("GET /queue (channel admin, page 1)", _client(app, "b.admin"), ["/queue"]),
            (
                "GET /queue (supervisor, all open stages, pages 1-20)",
                _client(app, "b.super"),
                [f"/queue?page={p}" for p in range(1, 21)],
            ),
            (
                "GET /cases?state=closed (supervisor; /queue sends it there)",
                _client(app, "b.super"),
                ["/cases?state=closed"],
            ),
            ("GET /cases/<ref> (channel admin)", _client(app, "b.admin"), [f"/cases/{r}" for r in refs]),
        ]
        worst = 0.0
        for name, client, urls in figures:
            p50, p95 = _time(client, urls)
            worst = max(worst, p95)
            print(f"{name:<56} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   ({RUNS} requests)")
        verdict = "meets" if worst < TARGET_MS else "MISSES"
        print(f"worst p95 {worst:.1f} ms {verdict} the target p95 < {TARGET_MS:.0f} ms")
        cw.engine.dispose()


if __name__ == "__main__":
    main()
