"""Exhibits under retention: bytes removed with the case's personal data, digests kept, holds respected,
and `audit verify` re-hashing every stored exhibit so tampering with the bytes is caught."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from casework.audit import checks, retention
from casework.audit import verify as audit
from casework.cases import actions
from casework.entrypoints.cli import main
from casework.evidence import attachments, integrity, redaction
from casework.evidence.errors import Redacted
from casework.evidence.tables import Attachment, EvidenceBlob, EvidenceChunk
from casework.storage.tables import CaseEvent
from tests import evidence_files as files

NCHI = {"outcome": "nchi_recorded", "incident_reference": "INC/123", "advice": "record as NCHI"}
SEVEN_YEARS = timedelta(days=7 * 366)


def _attach(cw, make, ref, data=None, who="admin"):
    data = data or files.png()
    return attachments.add_attachment(cw, make.staff(who), ref, io.BytesIO(data), filename="exhibit")


def _checks(cw):
    with cw.reader() as uow:
        return audit.verify(uow.session), integrity.verify_blobs(uow.session)


def _chunks(cw) -> int:
    with cw.reader() as uow:
        return uow.session.execute(select(func.count()).select_from(EvidenceChunk)).scalar_one()


def test_at_the_review_date_exhibit_bytes_go_and_the_digest_stays(cw, make, clock):
    ref = make.case("closed")
    item = _attach(cw, make, ref)
    clock.set(clock.now() + SEVEN_YEARS)
    assert retention.run_retention(cw).redacted == [ref]
    assert redaction.redact_due(cw) == [ref]
    with cw.reader() as uow:
        kept = uow.session.get(Attachment, item.id)
        blob = uow.session.get(EvidenceBlob, item.sha256)
        event = uow.session.execute(select(CaseEvent).where(CaseEvent.action == "attachment_redacted")).scalar_one()
    assert kept.redacted_at == clock.now() and kept.sha256 == item.sha256 and kept.thumbnail is None
    assert blob.removed_at == clock.now() and _chunks(cw) == 0
    assert event.data == {
        "attachment": item.id,
        "exhibit": "WA/1",
        "sha256": item.sha256,
        "reason": "retention_review_passed",
    }
    chain, blobs = _checks(cw)
    assert chain.ok and blobs.ok
    with pytest.raises(Redacted):
        attachments.chunks(cw, attachments.open_attachment(cw, make.staff("auditor"), ref, item.id, "cli", "download"))
    assert redaction.redact_due(cw) == []  # nothing twice


def test_a_case_on_legal_hold_keeps_its_exhibits(cw, make, clock):
    ref = make.case("closed")
    _attach(cw, make, ref)
    retention.set_legal_hold(cw, make.staff("supervisor"), ref, True, "civil claim pending")
    clock.set(clock.now() + SEVEN_YEARS)
    retention.run_retention(cw)
    assert redaction.redact_due(cw) == []
    assert _chunks(cw) == 1


def test_nchi_below_the_threshold_redacts_the_exhibits_at_once(cw, make):
    ref = make.case("crime_bureau_advice")
    item = _attach(cw, make, ref)
    actions.apply_trigger(cw, make.staff("bureau"), ref, "give_advice", {**NCHI, "personal_data_threshold_met": "no"})
    with cw.reader() as uow:
        assert uow.session.get(Attachment, item.id).redacted_at is not None
    assert _chunks(cw) == 0
    assert all(check.ok for check in _checks(cw))


def test_bytes_cited_by_another_case_stay_until_that_exhibit_goes_too(cw, make, clock):
    old, fresh, data = make.case("closed"), make.case("comms_action"), files.jpeg()
    _attach(cw, make, old, data)
    _attach(cw, make, fresh, data)
    clock.set(clock.now() + SEVEN_YEARS)
    retention.run_retention(cw)
    redaction.redact_due(cw)
    assert _chunks(cw) == 1  # the open case still holds the same file as its exhibit


def test_audit_verify_re_hashes_every_stored_exhibit_and_catches_tampering(cw, make):
    ref = make.case()
    item = _attach(cw, make, ref)
    assert all(check.ok for check in _checks(cw))
    with cw.engine.begin() as connection:
        connection.execute(
            text("UPDATE evidence_chunks SET data = :d WHERE sha256 = :s"), {"d": b"x", "s": item.sha256}
        )
    chain, blobs = _checks(cw)
    assert chain.ok and not blobs.ok  # the chain alone would not notice
    assert item.sha256 in blobs.describe()


def test_an_attachment_pointed_at_other_bytes_is_caught(cw, make):
    ref = make.case()
    first, second = _attach(cw, make, ref, files.png()), _attach(cw, make, ref, files.jpeg())
    with cw.engine.begin() as connection:
        connection.execute(
            text("UPDATE attachments SET sha256 = :s WHERE id = :i"), {"s": second.sha256, "i": first.id}
        )
    _, blobs = _checks(cw)
    assert not blobs.ok and "WA/1" in blobs.describe()


def test_the_cli_audit_verify_fails_on_tampered_exhibit_bytes(cw, make):
    ref = make.case()
    item = _attach(cw, make, ref)
    runner = CliRunner()
    url = cw.settings.database_url
    assert runner.invoke(main, ["--db", url, "audit", "verify"]).exit_code == 0
    with cw.engine.begin() as connection:
        connection.execute(
            text("UPDATE evidence_chunks SET data = :d WHERE sha256 = :s"), {"d": b"x", "s": item.sha256}
        )
    result = runner.invoke(main, ["--db", url, "audit", "verify"])
    assert result.exit_code == 1 and "attachments tampered with" in result.output


def test_the_recorded_verification_and_the_daily_job_re_hash_the_exhibits_too(cw, make):
    ref = make.case()
    item = _attach(cw, make, ref)
    auditor = make.staff("auditor")
    assert checks.verify_and_record(cw, auditor, "web").ok
    with cw.engine.begin() as connection:
        connection.execute(
            text("UPDATE evidence_chunks SET data = :d WHERE sha256 = :s"), {"d": b"x", "s": item.sha256}
        )
    by_hand, daily = checks.verify_and_record(cw, auditor, "web"), checks.scheduled_verify(cw)
    assert daily is not None
    for result in (by_hand, daily):
        assert not result.ok and item.sha256 in result.describe()
    assert [c.ok for c in checks.recent(cw, limit=3)] == [False, False, True]


def test_the_exhibit_check_walks_in_batches_and_names_each_bad_blob(cw, make):
    ref = make.case()
    items = [_attach(cw, make, ref, files.png(color=c)) for c in ("red", "green", "blue")]
    with cw.engine.begin() as connection:
        connection.execute(
            text("UPDATE evidence_chunks SET data = :d WHERE sha256 = :s"), {"d": b"x", "s": items[1].sha256}
        )
    with cw.reader() as uow:
        check = integrity.verify_blobs(uow.session, batch=1)
    assert check.blobs == 3 and check.problems == [f"stored bytes of {items[1].sha256} no longer match their SHA-256"]
