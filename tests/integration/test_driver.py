"""The driver path: rows it writes read back the same through the ORM, and its errors look like SQLAlchemy's."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from casework.bootstrap import bootstrap
from casework.cases import actions
from casework.cases import rows as case_rows
from casework.clock import LONDON, UTC
from casework.config import Settings
from casework.notify.tables import Notification
from casework.sla.models import SlaClock
from casework.storage.tables import Case, CaseEvent
from tests.conftest import TEST_SECRET_KEY
from tests.factories import REFER, Factory


def test_a_case_written_by_the_driver_reads_back_through_the_orm_as_it_was_written(cw, make, clock):
    ref = make.case("admin_review")
    make.staff("bureau")  # someone to hear of the referral
    clock.advance(minutes=5, seconds=1, microseconds=7)
    actions.apply_trigger(cw, make.staff("admin"), ref, "refer", {**REFER, "threat_to_life": "yes"})
    with cw.uow() as uow:
        record = case_rows.load(uow.driver, ref)
    with Session(cw.engine) as session:
        orm = session.execute(select(Case).where(Case.reference == ref)).scalar_one()
        assert {name: getattr(orm, name) for name in vars(record)} == vars(record)
        assert orm.updated_at == clock.now() and orm.updated_at.utcoffset() == timedelta(0)
        assert orm.threat_to_life is True and orm.referrer_ids == [record.referred_by_id]
        assert orm.stage_inputs["refer"]["category"] == REFER["category"]
        clocks = session.execute(select(SlaClock).where(SlaClock.case_id == orm.id)).scalars().all()
        assert {c.name for c in clocks if c.stopped_at == clock.now()} == {"review_decision"}
        sent = session.execute(select(Notification).where(Notification.case_id == orm.id)).scalars().all()
        assert sent and all(n.created_at == clock.now() and n.payload["reference"] == ref for n in sent)
        last = select(CaseEvent).where(CaseEvent.action == "transition").order_by(CaseEvent.seq.desc()).limit(1)
        event_row = session.execute(last).scalar_one()
        assert event_row.at == clock.now() and event_row.data["trigger"] == "refer"


def test_on_sqlite_the_driver_stores_times_in_sqlalchemys_own_text_form(sqlite_url, clock, make_runtime):
    cw = make_runtime(sqlite_url)
    clock.advance(microseconds=1)  # a time SQLite's own adapter would write with a "T" and no zero padding
    ref = Factory(cw).case("detected")
    with cw.engine.connect() as connection:
        stored = connection.execute(text("SELECT updated_at FROM cases WHERE reference = :r"), {"r": ref}).scalar()
    assert stored == sqlite.DATETIME().bind_processor(sqlite.dialect())(clock.now().replace(tzinfo=None))


def test_a_driver_error_is_sqlalchemys_and_the_engine_listeners_see_every_statement(cw, make):
    ref = make.case("detected")
    seen: list[str] = []
    listen = lambda conn, cursor, statement, *rest: seen.append(statement)  # noqa: E731
    event.listen(cw.engine, "before_cursor_execute", listen)
    try:
        with cw.uow() as uow:
            case = case_rows.load(uow.driver, ref)
            with pytest.raises(IntegrityError):
                uow.driver.execute("INSERT INTO cases (reference) VALUES (?)", (case.reference,))
        with cw.uow() as uow, pytest.raises(DBAPIError):
            uow.driver.execute("SELECT * FROM no_such_table")
    finally:
        event.remove(cw.engine, "before_cursor_execute", listen)
    assert any("FROM cases WHERE reference" in s for s in seen) and any("no_such_table" in s for s in seen)


def test_a_postgresql_backend_lost_under_the_driver_invalidates_the_connection_and_the_next_action_works(
    postgres_url, make_runtime
):
    cw = make_runtime(postgres_url)
    admin_engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with cw.uow() as uow:
            (pid,) = uow.driver.execute("SELECT pg_backend_pid()").fetchone()
            with admin_engine.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(DBAPIError) as lost:
                uow.driver.execute("SELECT 1")
        assert lost.value.connection_invalidated
        with cw.uow() as uow:
            assert uow.driver.execute("SELECT 1").fetchone() == (1,)
    finally:
        admin_engine.dispose()


@pytest.fixture
def make_runtime(clock, evidence_key_file):
    made = []

    def runtime(url):
        settings = Settings(database_url=url, secret_key=TEST_SECRET_KEY, evidence_key_file=str(evidence_key_file))
        made.append(bootstrap(settings, clock=clock))
        return made[-1]

    yield runtime
    for cw in made:
        cw.engine.dispose()


def test_on_sqlite_one_instant_is_stored_as_the_same_utc_text_in_any_zone_and_a_naive_time_never(
    sqlite_url, make_runtime
):
    cw = make_runtime(sqlite_url)
    utc = datetime(2026, 7, 1, 11, 30, 0, 5, tzinfo=UTC)
    with cw.uow() as uow:
        driver = uow.driver
        assert driver.time(utc.astimezone(LONDON)) == driver.time(utc) == "2026-07-01 11:30:00.000005"
        assert driver.time(utc + timedelta(microseconds=1)) == "2026-07-01 11:30:00.000006"
        for _ in range(2):  # refused the second time too: a refusal is not remembered as an answer
            with pytest.raises(ValueError, match="naive"):
                driver.time(utc.replace(tzinfo=None))
