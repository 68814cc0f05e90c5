"""The fast verify agrees with the typed walk: a quick-check miss is re-examined, never trusted blindly."""

import pytest
from sqlalchemy import text

from casework.audit import verify as audit
from tests.conftest import TEST_SECRET_KEY
from tests.tampering import bypass_append_only


def verify(cw):
    with cw.reader() as uow:
        return audit.verify(uow.session)


def test_a_time_stored_in_another_text_form_is_a_false_alarm_not_a_break(sqlite_url, clock):
    from casework.bootstrap import bootstrap
    from casework.config import Settings
    from tests.factories import Factory

    cw = bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=sqlite_url), clock=clock)
    try:
        Factory(cw).case("closed")
        with cw.engine.begin() as connection:  # the same instant, without the microseconds
            bypass_append_only(connection)
            connection.execute(text("UPDATE case_events SET at = substr(at, 1, 19) WHERE seq = 2"))
        with cw.engine.connect() as connection:
            events = connection.execute(text("SELECT count(*) FROM case_events")).scalar_one()
        result = verify(cw)
        assert result.ok and result.count == events
    finally:
        cw.engine.dispose()


@pytest.mark.parametrize("seq", [1, 3])
def test_after_a_problem_the_connection_is_still_usable(cw, make, seq):
    make.case("closed")
    with cw.engine.begin() as connection:
        bypass_append_only(connection)
        connection.execute(text(f"UPDATE case_events SET action = 'forged' WHERE seq = {seq}"))
    with cw.reader() as uow:
        result = audit.verify(uow.session)
        assert not result.ok and result.first_bad_seq == seq
        assert uow.session.execute(text("SELECT count(*) FROM case_events")).scalar_one() > seq
