"""`audit verify` catches every kind of tampering and names the first bad event."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from casework.audit import verify as audit
from casework.bootstrap import bootstrap
from casework.config import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.tampering import raw, verify


@pytest.fixture
def chain(cw, make):
    """A few cases, so the log has ~12 events."""
    for state in ("closed", "admin_review", "detected"):
        make.case(state)
    with cw.reader() as uow:
        assert audit.verify(uow.session).ok
    return cw


@pytest.mark.parametrize(
    "statement", ["UPDATE case_events SET actor = 'mallory' WHERE seq = 3", "DELETE FROM case_events WHERE seq = 3"]
)
def test_the_database_refuses_to_change_or_delete_events(chain, statement):
    with pytest.raises(DBAPIError, match="append-only"), chain.engine.begin() as connection:
        connection.execute(text(statement))
    assert verify(chain).ok


def test_a_changed_field_is_caught(chain):
    raw(chain, "UPDATE case_events SET actor = 'mallory' WHERE seq = 5")
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == 5 and "hash does not match" in result.problem


def test_changed_data_is_caught(chain):
    raw(chain, 'UPDATE case_events SET data = \'{"trigger": "dismiss"}\' WHERE seq = 4')
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == 4 and "data does not match" in result.problem


def test_a_deleted_event_is_caught(chain):
    raw(chain, "DELETE FROM case_events WHERE seq = 6")
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == 7 and "missing" in result.problem


def test_two_swapped_events_are_caught(chain):
    raw(
        chain,
        "UPDATE case_events SET seq = -1 WHERE seq = 4",
        "UPDATE case_events SET seq = 4 WHERE seq = 5",
        "UPDATE case_events SET seq = 5 WHERE seq = -1",
    )
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == 4


def test_a_cut_off_tail_is_caught_against_the_chain_head(chain):
    raw(chain, "DELETE FROM case_events WHERE seq = (SELECT MAX(seq) FROM case_events)")
    result = verify(chain)
    assert not result.ok and "cut off" in result.problem


def test_the_cli_exits_1_naming_the_event(chain):
    from click.testing import CliRunner

    from casework.entrypoints.cli import main

    runner = CliRunner()
    url = chain.settings.database_url
    ok = runner.invoke(main, ["--db", url, "audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    raw(chain, "UPDATE case_events SET role = 'supervisor' WHERE seq = 2")
    bad = runner.invoke(main, ["--db", url, "audit", "verify"])
    assert bad.exit_code == 1 and "seq 2" in bad.output


def test_a_fresh_runtime_sees_the_same_chain(chain):
    other = bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=chain.settings.database_url))
    assert verify(other).head_hash == verify(chain).head_hash
    other.engine.dispose()
