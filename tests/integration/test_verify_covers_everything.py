"""`audit verify` covers every row (issue 11, items 8 and 9): malformed event data is named, never raised;
case rows and the captured comments are checked against what their events say; evidence is append-only."""

import math
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from casework.audit import checkpoints, retention
from casework.audit import verify as audit
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.entrypoints.cli import main
from casework.storage import chain
from tests.conftest import TEST_SECRET_KEY
from tests.factories import Factory
from tests.integration.test_retention import dismissed
from tests.tampering import raw, verify

KEY = "k" * 40


def cli_verify(cw, *extra):
    return CliRunner().invoke(main, ["--db", cw.settings.database_url, "audit", "verify", *extra])


def in_dialect(cw, statement):
    """JSON is text on SQLite; on PostgreSQL a text edit of a jsonb column needs casts."""
    postgres = cw.engine.dialect.name == "postgresql"
    return statement.format(as_text="::text" if postgres else "", as_json="::jsonb" if postgres else "")


def reference_of(cw, case_id=1):
    with cw.engine.connect() as connection:
        return connection.execute(text("SELECT reference FROM cases WHERE id = :id"), {"id": case_id}).scalar_one()


@pytest.fixture
def sqlite_cw(sqlite_url, clock):
    """SQLite keeps JSON as text, so an attacker can store what PostgreSQL's jsonb would refuse."""
    runtime = bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=sqlite_url), clock=clock)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def closed(cw, make):
    """One closed case (flagged, referred, advised, assigned, closed: a few saves of the row)."""
    reference = make.case("closed")
    assert verify(cw).ok, verify(cw).describe()
    return reference


@pytest.mark.parametrize(
    "value, problem",
    [
        ({"x": math.nan}, "NaN"),
        ({"x": [1, {"y": math.inf}]}, "NaN"),
        ({"x": -math.inf}, "NaN"),
        ({"x": 2**64}, "64-bit"),
        ({"x": -(2**63) - 1}, "64-bit"),
        ({"x": "\ud800"}, "surrogates"),
    ],
)
def test_canonical_json_refuses_what_would_not_read_back_the_same(value, problem):
    with pytest.raises(chain.NotCanonical, match=problem):
        chain.canonical(value)


def test_an_event_with_data_canonical_json_cannot_hold_is_refused_at_write_time(cw, closed):
    before = verify(cw).count
    with pytest.raises(chain.NotCanonical), cw.uow() as uow:
        uow.record("comment", at=cw.now(), actor="wk.admin", data={"n": math.nan})
        uow.commit()
    assert verify(cw).ok and verify(cw).count == before  # nothing half-written


def _seq_with_null(cw):
    """A new event whose data holds a JSON null."""
    with cw.uow() as uow:
        uow.record("comment", at=cw.now(), actor="wk.admin", data={"previous_assignee_id": None})
        uow.commit()
    with cw.engine.connect() as connection:
        return connection.execute(text("SELECT max(seq) FROM case_events")).scalar_one()


@pytest.mark.parametrize(
    "data, problem",
    [
        ('{"n": 123456789012345678901234567890}', "64-bit"),
        ('{"t": "\\ud800"}', "surrogates"),
        ("this is not JSON {", "not JSON"),
        (None, "NaN is not JSON"),  # a null changed to NaN: orjson would write it back as null (same digest)
    ],
    ids=["integer beyond 64 bits", "lone surrogate", "not JSON", "null changed to NaN"],
)
def test_malformed_event_data_is_named_with_its_seq_and_exit_1(sqlite_cw, data, problem):
    cw = sqlite_cw
    Factory(cw).case("closed")
    seq = _seq_with_null(cw) if data is None else 3
    statement = (
        f"UPDATE case_events SET data = replace(data, 'null', 'NaN') WHERE seq = {seq}"
        if data is None
        else f"UPDATE case_events SET data = '{data}' WHERE seq = {seq}"
    )
    raw(cw, statement)
    result = verify(cw)
    assert not result.ok and result.first_bad_seq == seq and problem in result.problem
    ran = cli_verify(cw)
    assert ran.exit_code == 1 and f"seq {seq}" in ran.output and problem in ran.output
    assert ran.exception is None or isinstance(ran.exception, SystemExit)


def test_an_integer_beyond_64_bits_is_named_on_postgresql_too(cw, closed):
    raw(cw, "UPDATE case_events SET data = '{\"n\": 123456789012345678901234567890}' WHERE seq = 2")
    result = verify(cw)
    assert not result.ok and result.first_bad_seq == 2 and "64-bit" in result.problem


def test_a_time_that_is_not_a_time_is_named_not_raised(sqlite_cw):
    Factory(sqlite_cw).case("closed")
    raw(sqlite_cw, "UPDATE case_events SET at = 'yesterday' WHERE seq = 2")
    result = verify(sqlite_cw)
    assert not result.ok and result.first_bad_seq == 2


def test_the_database_refuses_to_change_or_delete_evidence(cw, closed):
    for statement in ("UPDATE comments SET text = 'FORGED'", "DELETE FROM comments"):
        with pytest.raises(DBAPIError, match="comments is evidence"), cw.engine.begin() as connection:
            connection.execute(text(statement))
    with pytest.raises(DBAPIError, match="comments is evidence"), cw.engine.begin() as connection:
        connection.execute(text('UPDATE comments SET captured = \'{"text": "FORGED"}\''))
    assert verify(cw).ok


def test_redaction_passes_the_guard_and_verifies_against_its_redaction_event(cw, make, clock):
    reference = dismissed(make)
    clock.set(clock.now() + timedelta(days=366))
    assert retention.run_retention(cw).redacted == [reference]
    assert verify(cw).ok, verify(cw).describe()
    with pytest.raises(DBAPIError, match="comments is evidence"), cw.engine.begin() as connection:
        connection.execute(text("UPDATE comments SET text = 'put back'"))  # blanked stays blank
    raw(cw, in_dialect(cw, "UPDATE comments SET captured = replace(captured{as_text}, 'facebook', 'twitter'){as_json}"))
    result = verify(cw)
    assert not result.ok and result.case_reference == reference and "redaction event" in result.problem


@pytest.mark.parametrize(
    "statement, problem",
    [
        ("UPDATE comments SET text = 'FORGED'", "the comment's text differs from the comment as captured"),
        (
            "UPDATE comments SET captured = replace(captured{as_text}, 'I will kill you', 'FORGED'){as_json}",
            "evidence digest",
        ),
        ("UPDATE cases SET state = 'closed', outcome = 'dismissed'", "state is 'closed'"),
        ("UPDATE cases SET outcome = 'dismissed'", "outcome is 'dismissed'"),
        ("UPDATE cases SET version = version + 5", "version is"),
        (
            "UPDATE cases SET assignee_id = (SELECT min(id) FROM users WHERE id <> coalesce(cases.assignee_id, -1))",
            "assignee_id is",
        ),
        (
            "UPDATE cases SET evidence_digest = substr(evidence_digest, 2) || substr(evidence_digest, 1, 1)",
            "evidence digest",
        ),
    ],
)
def test_a_forged_comment_or_case_row_fails_verify_naming_the_case(cw, make, statement, problem):
    make.case("admin_review", text="I will kill you")
    reference = reference_of(cw)
    assert verify(cw).ok, verify(cw).describe()
    key = KEY.encode()
    document = checkpoints.make_checkpoint(cw, key)
    raw(cw, in_dialect(cw, statement))
    result = verify(cw)
    assert not result.ok and result.case_reference == reference and problem in result.problem
    ran = cli_verify(cw)
    assert ran.exit_code == 1 and reference in ran.output
    check = checkpoints.verify_checkpoint(cw, chain.canonical(document), key)
    assert not check.ok and reference in check.message


def test_the_records_check_streams_cases_and_events_in_step(cw, make):
    references = [make.case(state) for state in ("closed", "detected", "comms_action", "admin_review")]
    assert verify(cw).ok
    raw(cw, f"UPDATE cases SET state = 'detected' WHERE reference = '{references[2]}'")
    with cw.reader() as uow:
        result = audit.verify(uow.session, batch=1)
    assert not result.ok and result.case_reference == references[2]


def test_a_case_that_moves_while_its_records_are_read_is_no_false_alarm(cw, make):
    """The records check reads the cases, then their events: a step committed in between (a live system)
    must not make the two disagree, on PostgreSQL (READ COMMITTED statements) as on SQLite."""
    from sqlalchemy import event

    from casework.cases import actions

    reference, admin = make.case("detected"), make.staff("admin")
    moved = []

    def step_in_between(conn, cursor, statement, parameters, context, executemany):
        if not moved and "FROM case_events" in statement and "ORDER BY case_events.case_id" in statement:
            moved.append(actions.apply_trigger(cw, admin, reference, "start_review", {}))

    event.listen(cw.engine, "before_cursor_execute", step_in_between)
    try:
        result = verify(cw)
    finally:
        event.remove(cw.engine, "before_cursor_execute", step_in_between)
    assert moved and result.ok, result.describe()
    assert verify(cw).ok
