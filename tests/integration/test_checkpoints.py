"""A signed checkpoint proves what a hash chain alone cannot: no event was cut off or rewritten before it."""

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from casework.audit import checkpoints
from casework.audit import verify as audit
from casework.audit.tables import Checkpoint
from casework.entrypoints.cli import main
from casework.errors import ValidationError
from casework.storage import chain
from casework.storage.tables import CaseEvent
from tests.tampering import bypass_append_only

KEY = b"k" * 40


@pytest.fixture
def signed(cw, make):
    """Some history, a checkpoint over it, then more history."""
    make.case("closed")
    document = checkpoints.make_checkpoint(cw, KEY, "wa.auditor")
    make.case("admin_review")
    return document


def tamper(cw, *statements, rechain_from=None):
    """An attacker with database access: bypass the append-only triggers, then re-hash the chain to cover it up."""
    with cw.engine.begin() as connection:
        bypass_append_only(connection)
        for statement in statements:
            connection.execute(text(statement))
        events = connection.execute(select(CaseEvent.__table__).order_by(CaseEvent.seq)).all()
        prev = chain.GENESIS
        for e in events:
            if rechain_from is not None and e.seq >= rechain_from:
                data_digest = chain.digest(e.data)
                this = chain.event_hash(
                    prev, e.seq, e.case_id, e.at, e.actor, e.role, e.action, e.from_state, e.to_state, data_digest
                )
                connection.execute(
                    CaseEvent.__table__.update()
                    .where(CaseEvent.seq == e.seq)
                    .values(data_digest=data_digest, prev_hash=prev, hash=this)
                )
                prev = this
            else:
                prev = e.hash
        connection.execute(text("UPDATE chain_head SET seq = :s, hash = :h"), {"s": len(events), "h": prev})


def plain_verify(cw):
    """The chain walk alone, without the case rows (which a cut-off tail leaves ahead of their events)."""
    with cw.reader() as uow:
        return audit.verify_chain(uow.session)


def check(cw, document, key=KEY):
    return checkpoints.verify_checkpoint(cw, chain.canonical(document), key)


def test_a_checkpoint_is_signed_recorded_and_holds_while_the_log_grows(cw, signed):
    assert signed["seq"] == signed["event_count"] > 0 and signed["algorithm"] == "HMAC-SHA256"
    result = check(cw, signed)
    assert result.ok and f"first {signed['seq']} events are unchanged" in result.message
    with cw.reader() as uow:
        row = uow.session.execute(select(Checkpoint)).scalar_one()
        event = uow.session.execute(select(CaseEvent).where(CaseEvent.action == "checkpoint")).scalar_one()
    assert (row.seq, row.hash, row.signature) == (signed["seq"], signed["hash"], signed["signature"])
    assert event.seq == signed["seq"] + 1 and event.data["signature"] == signed["signature"]
    assert checkpoints.latest(cw).id == row.id and checkpoints.still_matches(cw, row)


def test_a_removed_tail_is_detected_even_when_the_chain_head_was_fixed(cw, signed):
    tamper(cw, f"DELETE FROM case_events WHERE seq >= {signed['seq'] - 1}", rechain_from=10**9)
    assert plain_verify(cw).ok  # the chain alone cannot tell
    result = check(cw, signed)
    assert not result.ok and "cut off" in result.message


def test_a_changed_old_event_is_detected_even_when_the_chain_was_rehashed(cw, signed):
    tamper(cw, "UPDATE case_events SET actor = 'mallory' WHERE seq = 2", rechain_from=2)
    assert plain_verify(cw).ok
    result = check(cw, signed)
    assert not result.ok and f"event seq {signed['seq']} no longer has the hash" in result.message


def test_a_wrong_key_or_an_edited_file_is_refused(cw, signed):
    assert "wrong key" in check(cw, signed, key=b"x" * 40).message
    edited = {**signed, "seq": signed["seq"] - 1}
    assert not check(cw, edited).ok and "signature" in check(cw, edited).message


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'{"seq": 1}'])
def test_a_file_that_is_not_a_checkpoint_is_refused(cw, raw):
    result = checkpoints.verify_checkpoint(cw, raw, KEY)
    assert not result.ok and "not a casework checkpoint" in result.message


def test_a_broken_chain_is_not_signed(cw, make):
    make.case()
    tamper(cw, "UPDATE case_events SET actor = 'mallory' WHERE seq = 1")
    with pytest.raises(checkpoints.ChainBroken):
        checkpoints.make_checkpoint(cw, KEY)


def test_a_short_key_is_refused():
    with pytest.raises(ValidationError):
        checkpoints.checkpoint_key({"CASEWORK_CHECKPOINT_KEY": "short"})


def test_the_cli_writes_a_checkpoint_and_verifies_against_it(cw, make, tmp_path, monkeypatch):
    monkeypatch.setenv("CASEWORK_CHECKPOINT_KEY", KEY.decode())
    make.case("closed")
    runner, url, path = CliRunner(), cw.settings.database_url, tmp_path / "checkpoint.json"
    made = runner.invoke(main, ["--db", url, "audit", "checkpoint", "--out", str(path)])
    assert made.exit_code == 0, made.output
    assert json.loads(path.read_bytes())["signature"]
    good = runner.invoke(main, ["--db", url, "audit", "verify", "--checkpoint", str(path)])
    assert good.exit_code == 0 and "holds" in good.output
    tamper(cw, "DELETE FROM case_events WHERE seq > 3", rechain_from=10**9)
    bad = runner.invoke(main, ["--db", url, "audit", "verify", "--checkpoint", str(path)])
    assert bad.exit_code == 1 and "cut off" in bad.output
    monkeypatch.setenv("CASEWORK_CHECKPOINT_KEY", "another-key-of-enough-length-1234567890")
    wrong = runner.invoke(main, ["--db", url, "audit", "verify", "--checkpoint", str(path)])
    assert wrong.exit_code == 1 and "wrong key" in wrong.output
