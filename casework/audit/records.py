"""Checking the rows the chain describes: each case against the state its events replay to, each
comment against its evidence digest (a redacted one against its redaction events).

The chain proves the events; without this an edit of `cases` or `comments` themselves would pass.
Cases (with their comment) and their events are streamed side by side in case order, so one case's
events are in memory at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import null, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from casework.audit.redaction import REDACTED
from casework.audit.snapshot import snapshot
from casework.audit.timetravel import Replay, replay_events
from casework.storage.chain import NotCanonical, digest
from casework.storage.tables import Case, CaseEvent, Comment, PendingEvent, User, table_of
from workflows.spec import Workflow

_cases, _comments, _users = table_of(Case), table_of(Comment), table_of(User)
_events, _pending = table_of(CaseEvent), table_of(PendingEvent)
REPLAYED = ("state", "assignee_id", "outcome", "threat_to_life", "referred_by_id", "advised_by_id", "closed_at")
CAPTURED_COLUMNS = ("text", "author_handle", "author_name", "author_id")
SAVING_ACTIONS = frozenset({"transition", "assigned"})  # the actions that save the case row (version + 1)

_CASES = (
    select(
        *(_cases.c[name] for name in ("id", "reference", "platform", "force", "version", "stage_inputs")),
        *(_cases.c[name] for name in REPLAYED),
        _cases.c.evidence_digest,
        _comments.c.case_id.label("comment_case_id"),
        *(_comments.c[name].label(f"comment_{name}") for name in CAPTURED_COLUMNS),
        _comments.c.captured,
        _comments.c.digest,
        _comments.c.redacted_at,
    )
    .outerjoin(_comments, _comments.c.case_id == _cases.c.id)
    .order_by(_cases.c.id)
)
_REPLAYED_EVENT = ("case_id", "at", "actor", "action", "from_state", "to_state", "data")
_EVENTS = (
    select(*(_events.c[name] for name in _REPLAYED_EVENT), _events.c.seq)
    .where(_events.c.case_id.is_not(None))
    .order_by(_events.c.case_id, _events.c.seq)
)
# Committed and still queued for the linker (PostgreSQL; normally none): the case rows already reflect
# them, and the chain will hold them once linked, so each case's are replayed after its chained ones.
_QUEUED = (
    select(*(_pending.c[name] for name in _REPLAYED_EVENT), null().label("seq"))
    .where(_pending.c.case_id.is_not(None))
    .order_by(_pending.c.id)
)


def first_problem(engine: Engine, workflow: Workflow, batch: int = 20_000) -> tuple[str, str] | None:
    """(case reference, what is wrong) for the first case or comment that its events do not account for.

    The cases and their events are read in one snapshot of their own: a step committed between the two
    reads would otherwise make a case disagree with its events while nothing is wrong.
    """
    with snapshot(engine) as connection, Session(connection) as session:
        return _first_problem(session, workflow, batch)


def _first_problem(session: Session, workflow: Workflow, batch: int) -> tuple[str, str] | None:
    user_ids = {name: id_ for id_, name in session.execute(select(_users.c.id, _users.c.username))}
    cases = session.execute(_CASES.execution_options(yield_per=batch))
    queued: dict[int, list[Any]] = {}
    for row in session.execute(_QUEUED):
        queued.setdefault(row.case_id, []).append(row)
    events = session.execute(_EVENTS.execution_options(yield_per=batch))
    try:
        grouped = _grouped(iter(events))
        pending = next(grouped, None)
        for case in cases:
            while pending is not None and pending[0] < case.id:  # events of no case: the foreign key forbids
                pending = next(grouped, None)
            own = pending[1] if pending is not None and pending[0] == case.id else []
            if own:
                pending = next(grouped, None)
            own = own + queued.get(case.id, [])
            if problem := _case_problem(case, own, workflow, user_ids):
                return case.reference, problem
    finally:
        cases.close()
        events.close()
    return None


def _grouped(rows: Iterator[Any]) -> Iterator[tuple[int, list[Any]]]:
    current: list[Any] = []
    for row in rows:
        if current and row.case_id != current[0].case_id:
            yield current[0].case_id, current
            current = []
        current.append(row)
    if current:
        yield current[0].case_id, current


def _case_problem(case: Any, events: list[Any], workflow: Workflow, user_ids: dict[str, int]) -> str | None:
    if not events or events[0].action != "flagged":
        return "the case has no flagged event: the row was inserted outside the application"
    try:
        replay = replay_events(workflow, Replay(case.platform, case.force), events, user_ids)
    except (LookupError, KeyError, TypeError, ValueError) as exc:
        return f"its events do not replay ({exc})"
    for name in REPLAYED:
        if getattr(case, name) != getattr(replay, name):
            return f"{name} is {getattr(case, name)!r} but its events replay to {getattr(replay, name)!r}"
    if case.stage_inputs != replay.stage_inputs:  # both read back from JSON, so plain equality holds
        return "stage_inputs differ from the inputs its events recorded"
    version = 1 + sum(e.action in SAVING_ACTIONS for e in events)
    if case.version != version:
        return f"version is {case.version} but its events account for {version}"
    return _comment_problem(case, events, replay)


_BLANK = (None, REDACTED)  # what a redacted field may hold: nothing, or the marker the pages show


def _comment_problem(case: Any, events: list[Any], replay: Replay) -> str | None:
    flagged_digest = (events[0].data or {}).get("evidence_digest")
    if case.comment_case_id is None:
        return "the captured comment (evidence) is missing"
    if not (case.evidence_digest == case.digest == flagged_digest):
        return "the evidence digest of the case or comment differs from the one its flagged event recorded"
    captured = case.captured if isinstance(case.captured, dict) else {}
    redactions = [e.data or {} for e in events if e.action == "redacted"]
    blanked = {name for data in redactions for name in data.get("fields", ())}
    expected = redactions[-1].get("remaining_digest") if redactions else case.digest
    if expected is not None and _digest(captured) != expected:
        return (
            "the comment as captured no longer matches "
            + ("its redaction event" if redactions else "its evidence digest")
            + " (evidence was changed)"
        )
    for name in CAPTURED_COLUMNS:
        column = getattr(case, f"comment_{name}")
        if name in blanked:
            if column not in _BLANK or captured.get(name) not in _BLANK:
                return f"the comment's {name} was redacted but holds a value again"
        elif column != captured.get(name):
            return f"the comment's {name} differs from the comment as captured (evidence was changed)"
    if case.redacted_at != replay.text_redacted_at:
        return "the comment's redaction time differs from its redaction event"
    return None


def _digest(value: Any) -> str | None:
    try:
        return digest(value)
    except NotCanonical:
        return None
