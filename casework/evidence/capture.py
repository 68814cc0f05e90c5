"""Page capture at intake (CASEWORK_CAPTURE=on): a queue row per new case, swept by the scheduler.

Never in the web request: intake writes a `capture_jobs` row in its own transaction; the sweep claims due
rows (`FOR UPDATE SKIP LOCKED`, then a lease), opens the permalink in headless Chromium outside any
transaction, and stores the PNG, PDF and WARC as attachments by `system:capture`. A failure is recorded
on the case and retried with exponential back-off; after MAX_ATTEMPTS the row is marked failed. Intake
never waits for or depends on it.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import col

from casework.access.actors import Actor
from casework.evidence import attachments, browser, store
from casework.evidence.tables import CaptureJob
from casework.storage.tables import Case

if TYPE_CHECKING:
    from casework.events import CaseChanged
    from casework.runtime import Casework
    from casework.storage.uow import UnitOfWork

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)  # a claimed row is due again if its sweeper died mid-capture
FIRST_RETRY = timedelta(minutes=1)
BATCH = 5


@dataclass
class CaptureRun:
    captured: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def on_case_changed(uow: UnitOfWork, change: CaseChanged, cw: Casework) -> None:
    """Queue a capture of a new case's page, in the intake's transaction (only with capture on)."""
    if change.kind != "flagged" or not cw.settings.capture:
        return
    case = change.case
    if case.id is None:
        uow.session.flush()
    uow.session.add(CaptureJob(case_id=case.id, url=case.permalink, next_attempt_at=change.at))


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt."""
    factor: int = 2 ** max(0, attempts - 1)
    return FIRST_RETRY * factor


def sweep(cw: Casework) -> CaptureRun:
    """Capture every due page, a few at a time; each outcome recorded in its own transaction."""
    run = CaptureRun()
    if not cw.settings.capture:
        return run
    for case_id, url, attempt in _claim(cw):
        try:
            captured = browser.capture_page(url, cw.now())
            _store(cw, case_id, captured)
        except Exception as exc:  # any failure of the page or the browser is recorded, never fatal
            log.warning("capture of case %s failed (attempt %d): %s", case_id, attempt, exc)
            run.failed.append(_failed(cw, case_id, attempt, exc))
        else:
            run.captured.append(_done(cw, case_id))
    return run


def _claim(cw: Casework) -> list[tuple[int, str, int]]:
    now = cw.now()
    with cw.uow() as uow:
        rows = list(
            uow.session.execute(
                select(CaptureJob)
                .where(col(CaptureJob.status) == "pending", col(CaptureJob.next_attempt_at) <= now)
                .order_by(col(CaptureJob.next_attempt_at))
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        claimed = []
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + LEASE
            claimed.append((row.case_id, row.url, row.attempts))
        uow.commit()
    return claimed


def _store(cw: Casework, case_id: int, captured: browser.Captured) -> None:
    """Check all three files first, so a refused one leaves none stored; then attach each."""
    with cw.reader() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None  # the queue row's foreign key
    actor = Actor.system("capture", [case.force])
    note = f"page capture of {captured.final_url} at {cw.now().isoformat()}"
    received: list[tuple[store.Received, str]] = []
    try:
        received.append(
            (attachments.receive_upload(cw, io.BytesIO(captured.png), filename="capture.png"), "capture.png")
        )
        received.append(
            (attachments.receive_upload(cw, io.BytesIO(captured.pdf), filename="capture.pdf"), "capture.pdf")
        )
        received.append((store.receive_trusted(captured.warc, "application/warc"), "capture.warc.gz"))
        for item, name in received:
            attachments.attach(cw, actor, case.reference, item, filename=name, description=note, via="capture")
    finally:
        for item, _ in received:
            item.close()


def _done(cw: Casework, case_id: int) -> str:
    with cw.uow() as uow:
        row = uow.session.get(CaptureJob, case_id)
        case = uow.session.get(Case, case_id)
        assert row is not None and case is not None
        row.status, row.finished_at, row.last_error = "done", cw.now(), None
        uow.commit()
        return case.reference


def _failed(cw: Casework, case_id: int, attempt: int, exc: Exception) -> str:
    now = cw.now()
    reason = f"{type(exc).__name__}: {exc}"[:2000]
    with cw.uow() as uow:
        row = uow.session.get(CaptureJob, case_id)
        case = uow.session.get(Case, case_id)
        assert row is not None and case is not None
        final = attempt >= MAX_ATTEMPTS
        row.last_error = reason
        row.status = "failed" if final else "pending"
        row.next_attempt_at = now + backoff(attempt)
        row.finished_at = now if final else None
        uow.record(
            "capture_failed",
            at=now,
            actor="system:capture",
            role="system",
            case=case,
            from_state=case.state,
            to_state=case.state,
            data={"url": row.url, "attempt": attempt, "final": final, "error": reason},
        )
        uow.commit()
        return case.reference


def status(cw: Casework, case_id: int) -> CaptureJob | None:
    with cw.reader() as uow:
        return uow.session.get(CaptureJob, case_id)
