"""Writers on PostgreSQL: an action held open before its commit does not make another writer wait.

Transaction A stops inside its reactions (after its case row, reference and outbox rows, before the
commit that links its events into the chain); B then runs a whole intake with a lock_timeout, so a
lock held by A fails B at once instead of hanging the test.
"""

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from casework.audit import verify as audit
from casework.bootstrap import bootstrap
from casework.cases import actions, tallies
from casework.config import Settings
from casework.intake import flags as intake
from tests.conftest import TEST_SECRET_KEY
from tests.factories import Factory

pytestmark = pytest.mark.postgres
WAIT = 30  # seconds a side waits for the other before the test fails


def _runtime(url, clock, evidence_key_file):
    settings = Settings(database_url=url, secret_key=TEST_SECRET_KEY, evidence_key_file=str(evidence_key_file))
    return bootstrap(settings, clock=clock)


@pytest.fixture
def pair(postgres_url, clock, evidence_key_file):
    """Runtime A, and runtime B whose connections give up after 2 s waiting on any lock."""
    impatient = make_url(postgres_url).update_query_dict({"options": "-c lock_timeout=2000"})
    a = _runtime(postgres_url, clock, evidence_key_file)
    b = _runtime(impatient.render_as_string(hide_password=False), clock, evidence_key_file)
    yield a, b
    a.engine.dispose()
    b.engine.dispose()


def _held_open(cw, kind, at_commit=False):
    """Make cw's next `kind` change stop inside its transaction until released: in its reactions, or
    at its commit once the rows every writer updates (the tallies) are written, before the chain."""
    entered, release = threading.Event(), threading.Event()

    def wait():
        entered.set()
        assert release.wait(WAIT), "the test never released transaction A"

    def hold(uow, change, _cw):
        if change.kind == kind and at_commit:
            uow.at_commit(wait)
        elif change.kind == kind:
            wait()

    cw.handlers.append(hold)
    return entered, release


def _run_a_while_b_flags(a, b, make, action_a, kind, at_commit=False):
    admin = make.staff("admin")
    entered, release = _held_open(a, kind, at_commit)
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(a=action_a()))
    thread.start()
    try:
        assert entered.wait(WAIT), "transaction A never reached its reactions"
        outcome["b"] = intake.flag_comment(b, admin, make.flag_payload())
    finally:
        release.set()
        thread.join(WAIT)
    return outcome


def test_an_intake_open_before_its_commit_does_not_block_another_intake(pair):
    a, b = pair
    make = Factory(a)
    admin, payload = make.staff("admin"), make.flag_payload()
    outcome = _run_a_while_b_flags(a, b, make, lambda: intake.flag_comment(a, admin, payload), "flagged")
    assert outcome["a"].created and outcome["b"].created
    assert outcome["a"].case.reference != outcome["b"].case.reference
    with a.reader() as uow:
        assert audit.verify(uow.session).ok


def test_a_transition_open_before_its_commit_does_not_block_an_intake(pair):
    a, b = pair
    make = Factory(a)
    ref = make.case("detected")
    admin = make.staff("admin")
    start_review = lambda: actions.apply_trigger(a, admin, ref, "start_review", {})  # noqa: E731
    outcome = _run_a_while_b_flags(a, b, make, start_review, "transitioned")
    assert outcome["a"].dest == "admin_review" and outcome["b"].created
    with a.reader() as uow:
        assert audit.verify(uow.session).ok


def test_an_intake_holding_its_forces_tallies_does_not_block_another_intake_of_that_force(pair):
    """A has added to the force's case and clock tallies (its rows locked until its commit); B adds to
    the same keys in a slot of its own."""
    a, b = pair
    make = Factory(a)
    admin, payload = make.staff("admin"), make.flag_payload()
    outcome = _run_a_while_b_flags(a, b, make, lambda: intake.flag_comment(a, admin, payload), "flagged", True)
    assert outcome["a"].created and outcome["b"].created
    with a.engine.connect() as connection:
        assert tallies.differences(connection) == []
        slots = connection.execute(select(tallies.case_tallies.c.slot).where(tallies.case_tallies.c.cases != 0))
        assert len(set(slots.scalars())) == 2
    with a.reader() as uow:
        assert audit.verify(uow.session).ok
