"""Verifying the audit chain as a recorded act: each run (button, daily job) leaves an `audit_verified` event.

A full walk takes seconds at a million events, so pages never walk the chain: they show the latest
recorded result and its age. The record is itself a chained event, so tampering with it is caught
by the next run. Every process with a scheduler runs the daily job; on PostgreSQL an advisory lock,
and on any database a run recorded within the hour, leave one walk a day. `casework audit verify`
stays read-only and unrecorded on purpose: it is the auditor's independent check, run with
read-only credentials or against a restored copy, where writing would fail or alter the very
evidence being checked.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from casework.access.actors import Actor
from casework.audit import verify as audit
from casework.errors import PermissionDenied
from casework.storage import chain
from casework.storage.tables import CaseEvent

if TYPE_CHECKING:
    from casework.runtime import Casework

log = logging.getLogger(__name__)
ACTION = "audit_verified"
VERIFIERS = frozenset({"auditor", "supervisor"})
SYSTEM_PART = "audit"
STALE_AFTER = timedelta(hours=26)  # the daily job plus slack: older than this, the job is not running
RERUN_AFTER = timedelta(hours=1)  # a scheduled run within this is another process's run of the same day
LOCK_KEY = zlib.crc32(b"casework.chain_checks.scheduled_verify")  # its first name: keep the key stable


@dataclass(frozen=True)
class ChainCheck:
    """One recorded verification, read back from its event."""

    seq: int
    at: datetime
    by: str
    via: str
    ok: bool
    event_count: int
    head_hash: str
    first_bad_seq: int | None
    problem: str | None
    case_reference: str | None = None

    def age(self, now: datetime) -> timedelta:
        return now - self.at

    def stale(self, now: datetime) -> bool:
        return self.age(now) > STALE_AFTER

    @classmethod
    def of(cls, event: CaseEvent) -> ChainCheck:
        data = event.data or {}
        return cls(
            seq=event.seq,
            at=event.at,
            by=event.actor,
            via=data.get("via", ""),
            ok=data.get("result") == "ok",
            event_count=data.get("event_count", 0),
            head_hash=data.get("head_hash", ""),
            first_bad_seq=data.get("first_bad_seq"),
            problem=data.get("problem"),
            case_reference=data.get("case_reference"),
        )


def verify_and_record(cw: Casework, actor: Actor, via: str) -> audit.Verification:
    """Walk the whole chain, then append the result (ok or broken) as an event; a broken chain is recorded too."""
    if not actor.is_system and not actor.roles & VERIFIERS:
        raise PermissionDenied("verifying the audit chain needs the role auditor or supervisor")
    with cw.reader() as uow:
        result = _with_record_checks(cw, uow.session, audit.verify(uow.session, workflow=cw.workflow))
    _record(cw, actor, result, via)
    return result


def scheduled_verify(cw: Casework) -> audit.Verification | None:
    """The daily job, as `system:audit`; of several schedulers (web workers, workers) one walks, the rest skip."""
    actor = Actor.system(SYSTEM_PART, cw.settings.forces)
    with cw.reader() as uow:
        if not _take_lock(uow.session) or _ran_since(uow.session, actor, cw.now() - RERUN_AFTER):
            log.info("audit chain verification skipped: another scheduler is running or has just run it")
            return None
        result = _with_record_checks(cw, uow.session, audit.verify(uow.session, workflow=cw.workflow))
        _record(cw, actor, result, "scheduler")  # while the lock is held, so a late sibling sees the record
    return result


def link_queued(cw: Casework) -> None:
    """The `audit.link` job: chain events a process committed on PostgreSQL and stopped before linking."""
    if cw.engine.dialect.name == "postgresql":
        chain.link_pending(cw.engine)


def _with_record_checks(cw: Casework, session: Session, result: audit.Verification) -> audit.Verification:
    """The chain's result, or broken by the first further check (such as the evidence bytes) that fails."""
    for check in cw.record_checks if result.ok else ():
        if found := check(session):
            return replace(result, ok=False, problem=found)
    return result


def _take_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY}).scalar_one())


def _ran_since(session: Session, actor: Actor, since: datetime) -> bool:
    return (
        session.execute(
            select(col(CaseEvent.seq))
            .where(col(CaseEvent.action) == ACTION, col(CaseEvent.actor) == actor.username, col(CaseEvent.at) >= since)
            .limit(1)
        ).first()
        is not None
    )


def _record(cw: Casework, actor: Actor, result: audit.Verification, via: str) -> None:
    with cw.uow() as uow:
        uow.record(
            ACTION,
            at=cw.now(),
            actor=actor.username,
            role=actor.role_label,
            data={
                "result": "ok" if result.ok else "broken",
                "event_count": result.count,
                "head_hash": result.head_hash,
                "first_bad_seq": result.first_bad_seq,
                "problem": result.problem,
                "case_reference": result.case_reference,
                "via": via,
            },
        )
        uow.commit()
    (log.info if result.ok else log.error)("%s (verified by %s via %s)", result.describe(), actor.username, via)


def recent(cw: Casework, limit: int = 10) -> list[ChainCheck]:
    """The latest recorded verifications, newest first (an indexed look-up, no walk)."""
    with cw.reader() as uow:
        events = (
            uow.session.execute(
                select(CaseEvent)
                .where(col(CaseEvent.action) == ACTION)
                .order_by(col(CaseEvent.seq).desc())
                .limit(limit)
            )
            .scalars()
            .all()
        )
        return [ChainCheck.of(event) for event in events]
