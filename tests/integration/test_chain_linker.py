"""On PostgreSQL a writer never waits for the chain: it queues its events, and one linker at a time
chains them, in queue order, right after the commits.

The writers here give up after 2 s waiting on any lock (`lock_timeout`), so one that waited on the
chain head or the linker would fail the test rather than hang it.
"""

import logging
import threading

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from casework.audit import checks
from casework.audit import verify as audit
from casework.cases import actions
from casework.intake import flags as intake
from casework.storage import chain
from casework.storage.db import make_engine
from casework.storage.tables import CaseEvent, PendingEvent

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url(postgres_url):
    """PostgreSQL only, through connections that give up after 2 s waiting on a lock."""
    impatient = make_url(postgres_url).update_query_dict({"options": "-c lock_timeout=2000"})
    return impatient.render_as_string(hide_password=False)


@pytest.fixture
def linker_busy(postgres_url):
    """Another process in the middle of linking: it holds the linker's lock and the chain head's row."""
    engine = create_engine(postgres_url)
    connection = engine.connect()
    transaction = connection.begin()
    assert connection.execute(text(chain.TRY_LINKER)).scalar()
    connection.execute(text("UPDATE chain_head SET seq = seq WHERE id = 1"))
    yield transaction
    if transaction.is_active:
        transaction.rollback()
    connection.close()
    engine.dispose()


def _counts(cw):
    with cw.engine.connect() as connection:
        linked = connection.execute(select(func.count()).select_from(CaseEvent)).scalar_one()
        queued = connection.execute(select(func.count()).select_from(PendingEvent)).scalar_one()
    return linked, queued


def _verified(cw):
    with cw.reader() as uow:
        return audit.verify(uow.session)


def test_writers_commit_while_another_process_links_and_the_next_writer_links_their_events_in_order(
    cw, make, linker_busy
):
    admin = make.staff("admin")
    before, _ = _counts(cw)
    flagged = intake.flag_comment(cw, admin, make.flag_payload())
    actions.apply_trigger(cw, admin, flagged.case.reference, "start_review", {})
    linked, queued = _counts(cw)
    assert flagged.created and linked == before and queued >= 2

    linker_busy.rollback()  # that linker ends; nobody has linked these yet
    waiting = _verified(cw)
    assert waiting.ok and waiting.queued == queued, waiting.describe()  # the case rows match their queued events
    assert "waiting to be linked" in waiting.describe()

    second = intake.flag_comment(cw, admin, make.flag_payload())
    assert _counts(cw)[1] == 0
    with cw.engine.connect() as connection:
        order = connection.execute(
            select(CaseEvent.case_id, CaseEvent.action).where(CaseEvent.seq > before).order_by(CaseEvent.seq)
        ).all()
    mine = [action for case_id, action in order if case_id == flagged.case.id]
    assert mine[0] == "flagged" and mine[-1] == "transition"
    assert order[-1].case_id == second.case.id  # queued later, linked later
    result = _verified(cw)
    assert result.ok and result.queued == 0 and result.count == len(order) + before


def test_events_left_queued_by_a_process_that_stopped_are_linked_by_the_job(cw, make, linker_busy):
    intake.flag_comment(cw, make.staff("admin"), make.flag_payload())
    linker_busy.rollback()
    assert _counts(cw)[1] > 0
    checks.link_queued(cw)
    assert _counts(cw)[1] == 0
    assert _verified(cw).ok


def test_an_action_stands_when_linking_fails_after_its_commit(cw, make, postgres_url, caplog):
    """The database refuses the linker's DELETE: the action is committed, logged, and linked later."""
    refuse = (
        "CREATE FUNCTION refuse_link() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'linking refused by the test'; END $$; "
        "CREATE TRIGGER refuse_link BEFORE DELETE ON chain_pending FOR EACH ROW EXECUTE FUNCTION refuse_link()"
    )
    admin = make.staff("admin")
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text(refuse))
    try:
        with caplog.at_level(logging.WARNING, logger="casework.storage.uow"):
            flagged = intake.flag_comment(cw, admin, make.flag_payload())
        assert flagged.created and "not linked yet" in caplog.text
        assert _counts(cw)[1] > 0
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP TRIGGER refuse_link ON chain_pending; DROP FUNCTION refuse_link()"))
        engine.dispose()
    checks.link_queued(cw)
    assert _counts(cw)[1] == 0 and _verified(cw).ok


def test_events_queued_while_another_links_are_linked_by_that_linker_after_it_lets_go(cw, make, linker_busy):
    """Linker H has taken the queue and is about to chain it; writer W queues, finds the lock taken and
    returns; H, once committed, looks again and links W's events too."""
    admin = make.staff("admin")
    intake.flag_comment(cw, admin, make.flag_payload())  # queued: another process is linking
    linker_busy.rollback()
    engine = make_engine(cw.engine.url)
    taken, go_on = threading.Event(), threading.Event()

    def pause_before_the_head(_conn, _cursor, statement, *_args):
        if statement.startswith("SELECT seq, hash FROM chain_head") and not taken.is_set():
            taken.set()
            assert go_on.wait(30), "the test never let linker H go on"

    event.listen(engine, "before_cursor_execute", pause_before_the_head)
    linker = threading.Thread(target=chain.link_pending, args=(engine,))
    linker.start()
    try:
        assert taken.wait(30), "linker H never took the queue"
        intake.flag_comment(cw, admin, make.flag_payload())  # W: queued, lock taken, back at once
        assert _counts(cw)[1] > 0
    finally:
        go_on.set()
        linker.join(30)
        engine.dispose()
    assert _counts(cw)[1] == 0
    assert _verified(cw).ok


def test_concurrent_writers_leave_nothing_unlinked(cw, make):
    """Each writer links after its commit, or leaves its events to the linker then holding the lock,
    which looks again after letting go: when every writer is done, nothing is queued."""
    admin = make.staff("admin")
    payloads = [[make.flag_payload() for _ in range(8)] for _ in range(4)]
    failures: list[BaseException] = []

    def write(batch):
        try:
            for payload in batch:
                intake.flag_comment(cw, admin, payload)
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(batch,)) for batch in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    linked, queued = _counts(cw)
    assert queued == 0 and linked >= 32
    result = _verified(cw)
    assert result.ok and result.count == linked, result.describe()
