"""Migration 0009 fills who referred and who advised from the history already in the log."""

from alembic import command
from sqlalchemy import select

from casework.cases import actions
from casework.storage.schema import alembic_config
from casework.storage.tables import Case
from tests.factories import ADVICE, REFER


def _alembic(cw, verb, revision):
    config = alembic_config()
    with cw.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, verb)(config, revision)


def test_upgrading_fills_every_referrer_and_adviser_from_the_log(cw, make):
    a, b = make.user("mig.a", ["channel_admin"]), make.user("mig.b", ["channel_admin"])
    c = make.user("mig.c", ["crime_bureau"])
    ref = make.case("admin_review")
    actions.apply_trigger(cw, a, ref, "refer", REFER)
    actions.apply_trigger(cw, c, ref, "request_information", {"question": "which post?"})
    actions.apply_trigger(cw, b, ref, "refer", {**REFER, "answer": "the appeal"})
    actions.apply_trigger(cw, c, ref, "give_advice", ADVICE)
    _alembic(cw, "downgrade", "0006")
    _alembic(cw, "upgrade", "heads")
    cw.engine.dispose()
    with cw.reader() as uow:
        case = uow.session.execute(select(Case).where(Case.reference == ref)).scalar_one()
    assert (case.referrer_ids, case.adviser_ids, case.open_question) == ([a.id, b.id], [c.id], None)
