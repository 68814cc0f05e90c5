"""A fast bulk loader for the page benchmarks: N cases whose rows and hash chain `casework audit verify` accepts.

A few cases per force and end state go through the real services first (users, intake, triggers), so
their rows and events are what the product writes. Every loaded case is a copy of one of them moved
in time: its case, comment and clock rows with the times shifted, and its events re-linked into the
chain after the head (each event's hash computed as `casework.storage.chain` does). After every
LIST_EVERY-th case its force's administrator views the queue, as staff do all day: one list
consultation naming the force's newest LISTED cases, chained too, with its `listed_cases` rows.
Rows go in with executemany in batches; the tallies are then recounted once, as the migration does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Connection

from casework.access import users
from casework.bootstrap import bootstrap
from casework.cases import actions, tallies
from casework.cases.consultation import listing_data
from casework.cases.tables import ListedCase
from casework.clock import FrozenClock
from casework.config import Settings
from casework.intake import flags as intake
from casework.runtime import Casework
from casework.sla.models import SlaClock
from casework.storage.chain import digest, event_hash
from casework.storage.schema import migrate
from casework.storage.tables import Case, CaseEvent, ChainHead, Comment, ReferenceCounter, table_of

PASSWORD = "bench-web-sign-in-passphrase-2026"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday: the templates' steps fall in office hours
SPREAD = timedelta(days=365)  # loaded cases were detected over the year before NOW
FORCES = (("warwickshire", "WK"), ("west_mercia", "WM"))
REFER = {"category": ["hate_crime"], "strands": ["race"], "threat_to_life": "no", "note": "please advise"}
ADVICE = {"outcome": "crime_recorded", "crime_reference": "23/1/26", "advice": "record"}
PATHS = {  # end state: (weight in the load, the steps that reach it)
    "detected": (3, []),
    "admin_review": (5, [("admin", "start_review", {})]),
    "crime_bureau_advice": (4, [("admin", "start_review", {}), ("admin", "refer", REFER)]),
    "comms_action": (5, [("admin", "start_review", {}), ("admin", "refer", REFER), ("bureau", "give_advice", ADVICE)]),
    "closed": (
        83,
        [
            ("admin", "start_review", {}),
            ("admin", "refer", REFER),
            ("bureau", "give_advice", ADVICE),
            ("comms", "close", {"actions": ["hidden"], "note": "done"}),
        ],
    ),
}
ROLES = {"admin": "channel_admin", "bureau": "crime_bureau", "comms": "comms", "super": "supervisor"}
BATCH = 5_000
LIST_EVERY, LISTED = 5, 25
TABLES = ("cases", "comments", "clocks", "events", "listed")  # what a batch gathers rows for
YEAR = 2024  # loaded references: the templates, made in 2025, hold that year's numbers
_cases, _comments, _clocks = table_of(Case), table_of(Comment), table_of(SlaClock)
_events, _head, _listed = table_of(CaseEvent), table_of(ChainHead), table_of(ListedCase)


@dataclass(frozen=True)
class Template:
    """One case as the services wrote it: its rows and events, to be copied."""

    case: dict[str, Any]
    comment: dict[str, Any]
    clocks: list[dict[str, Any]]
    events: list[dict[str, Any]]


def usernames(force_prefix: str) -> dict[str, str]:
    return {kind: f"{force_prefix.lower()}.{kind}" for kind in ROLES}


def load(url: str, cases: int, seed: int = 7) -> dict[str, int]:
    """A new database at `url` holding `cases` loaded cases (plus the templates); returns row counts."""
    clock = FrozenClock(NOW - SPREAD - timedelta(days=1))
    cw = bootstrap(Settings(database_url=url), clock=clock)
    migrate(cw.engine)
    templates = _templates(cw, clock)
    rng = random.Random(seed)
    shapes = [state for state, (weight, _) in PATHS.items() for _ in range(weight)]
    with cw.engine.begin() as connection:
        seq, prev = connection.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)).one()
        next_id = connection.execute(select(func.max(_cases.c.id))).scalar_one() + 1
        detected = sorted(NOW - SPREAD * rng.random() for _ in range(cases))
        newest: dict[str, list[str]] = {force: [] for force, _ in FORCES}
        for start in range(0, cases, BATCH):
            rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
            for i, at in enumerate(detected[start : start + BATCH], start=start):
                force, prefix = FORCES[i % 2]
                template, reference = templates[(force, rng.choice(shapes))], f"{prefix}-{YEAR}-{i // 2 + 1:06d}"
                seq, prev = _copy(template, rows, next_id + i, reference, at, seq, prev)
                newest[force] = [reference, *newest[force][: LISTED - 1]]
                if i % LIST_EVERY == LIST_EVERY - 1:
                    viewer = usernames(prefix)["admin"]
                    seq, prev = _list_view(rows, viewer, force, newest[force], at + timedelta(seconds=1), seq, prev)
            connection.execute(_cases.insert(), rows["cases"])
            connection.execute(_comments.insert(), rows["comments"])
            connection.execute(_clocks.insert(), rows["clocks"])
            connection.execute(_events.insert(), rows["events"])
            connection.execute(_listed.insert(), rows["listed"])
        connection.execute(update(_head).where(_head.c.id == 1).values(seq=seq, hash=prev))
        for force, _ in FORCES:
            counters = table_of(ReferenceCounter)
            connection.execute(counters.insert().values(force=force, year=YEAR, last=cases // 2 + 1))
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))")
            )
        tallies.refill(connection)
        counts = _counts(connection)
    if cw.engine.dialect.name == "postgresql":
        with cw.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with cw.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    cw.engine.dispose()
    return counts


def _templates(cw: Casework, clock: FrozenClock) -> dict[tuple[str, str], Template]:
    """Users of both forces, then one case per force and end state through the services."""
    for force, prefix in FORCES:
        for kind, name in usernames(prefix).items():
            users.add_user(cw, name, roles=[ROLES[kind]], forces=[force], password=PASSWORD)
    users.add_user(cw, "bench.auditor", roles=["auditor"], forces=[f for f, _ in FORCES], password=PASSWORD)
    made = {}
    for force, prefix in FORCES:
        staff = {kind: users.actor_for(cw, name) for kind, name in usernames(prefix).items()}
        for state, (_, steps) in PATHS.items():
            payload = {
                "force": force,
                "platform": "facebook",
                "channel": "Force page",
                "external_id": f"template-{state}",
                "permalink": f"https://facebook.com/template-{state}",
                "text": f"a hostile comment about the people on this street, kept as {state} " * 3,
                "reason": "race",
                "author_handle": "author_one",
            }
            ref = intake.flag_comment(cw, staff["admin"], payload).case.reference
            for who, trigger, inputs in steps:
                clock.advance(minutes=20)
                actions.apply_trigger(cw, staff[who], ref, trigger, inputs)
            made[(force, state)] = ref
    with cw.engine.connect() as connection:
        return {key: _read(connection, ref) for key, ref in made.items()}


def _read(connection: Connection, reference: str) -> Template:
    case = dict(connection.execute(select(_cases).where(_cases.c.reference == reference)).one()._mapping)
    comment = dict(connection.execute(select(_comments).where(_comments.c.case_id == case["id"])).one()._mapping)
    clocks = [dict(r._mapping) for r in connection.execute(select(_clocks).where(_clocks.c.case_id == case["id"]))]
    events = [
        dict(r._mapping)
        for r in connection.execute(select(_events).where(_events.c.case_id == case["id"]).order_by(_events.c.seq))
    ]
    for row in clocks + events:
        row.pop("id")
    return Template(case, comment, clocks, events)


def _shifted(row: dict[str, Any], delta: timedelta) -> dict[str, Any]:
    return {k: v + delta if isinstance(v, datetime) else v for k, v in row.items()}


def _copy(
    template: Template,
    rows: dict[str, list[dict[str, Any]]],
    case_id: int,
    reference: str,
    at: datetime,
    seq: int,
    prev: str,
) -> tuple[int, str]:
    delta = at - template.case["detected_at"]
    case = _shifted(template.case, delta)
    case.update(id=case_id, reference=reference, external_id=f"bulk-{case_id}", permalink=f"https://fb.com/{case_id}")
    rows["cases"].append(case)
    rows["comments"].append({**_shifted(template.comment, delta), "case_id": case_id})
    rows["clocks"].extend({**_shifted(c, delta), "case_id": case_id} for c in template.clocks)
    for event in template.events:
        seq += 1
        moved = event["at"] + delta
        this = event_hash(
            prev,
            seq,
            case_id,
            moved,
            event["actor"],
            event["role"],
            event["action"],
            event["from_state"],
            event["to_state"],
            event["data_digest"],
        )
        rows["events"].append({**event, "seq": seq, "case_id": case_id, "at": moved, "prev_hash": prev, "hash": this})
        prev = this
    return seq, prev


def _list_view(
    rows: dict[str, list[dict[str, Any]]], actor: str, force: str, shown: list[str], at: datetime, seq: int, prev: str
) -> tuple[int, str]:
    """The queue consultation `casework.cases.consultation.log_list` records, linked after the head."""
    data = listing_data("queue", "web", [(reference, force) for reference in shown], {})
    seq, role, data_digest = seq + 1, ROLES["admin"], digest(data)
    this = event_hash(prev, seq, None, at, actor, role, "viewed", None, None, data_digest)
    rows["events"].append(
        {
            "seq": seq,
            "case_id": None,
            "at": at,
            "actor": actor,
            "role": role,
            "action": "viewed",
            "from_state": None,
            "to_state": None,
            "data": data,
            "data_digest": data_digest,
            "prev_hash": prev,
            "hash": this,
        }
    )
    rows["listed"].extend({"reference": reference, "at": at, "actor": actor} for reference in shown)
    return seq, this


def _counts(connection: Connection) -> dict[str, int]:
    return {
        name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in (("cases", _cases), ("events", _events), ("clocks", _clocks), ("listed", _listed))
    }
