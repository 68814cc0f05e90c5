"""SPEC §3 separation of duties over the whole history of a case, across re-referrals and reopens."""

import pytest

from casework.cases import actions
from casework.errors import TransitionNotAllowed
from tests.factories import ADVICE, CLOSE, REFER

QUESTION = {"question": "Which post does the comment answer?"}
ANSWER = {**REFER, "answer": "The force's appeal for witnesses of 24 November."}


def test_whoever_referred_once_cannot_advise_after_another_admin_refers_again(cw, make):
    a = make.user("a.both", ["channel_admin", "crime_bureau"])
    b = make.user("b.admin", ["channel_admin"])
    ref = make.case("admin_review")
    actions.apply_trigger(cw, a, ref, "refer", REFER)
    actions.apply_trigger(cw, make.staff("bureau"), ref, "request_information", QUESTION)
    actions.apply_trigger(cw, b, ref, "refer", ANSWER)
    with pytest.raises(TransitionNotAllowed, match="you referred this case"):
        actions.apply_trigger(cw, a, ref, "give_advice", ADVICE)
    assert "give_advice" not in [t.trigger for t in actions.available_transitions(cw, a, _case(cw, ref))]
    actions.apply_trigger(cw, make.staff("bureau"), ref, "give_advice", ADVICE)


def test_whoever_advised_before_a_reopen_cannot_close_after_it(cw, make):
    adviser = make.user("c.both", ["crime_bureau", "comms"])
    supervisor = make.staff("supervisor")
    ref = make.case("crime_bureau_advice")
    actions.apply_trigger(cw, adviser, ref, "give_advice", ADVICE)
    actions.apply_trigger(cw, make.staff("comms"), ref, "close", CLOSE)
    actions.apply_trigger(cw, supervisor, ref, "reopen", {"reason": "new evidence"})
    actions.apply_trigger(cw, make.staff("admin"), ref, "refer", REFER)
    actions.apply_trigger(cw, make.user("d.bureau", ["crime_bureau"]), ref, "give_advice", ADVICE)
    with pytest.raises(TransitionNotAllowed, match="you gave the advice"):
        actions.apply_trigger(cw, adviser, ref, "close", CLOSE)
    actions.apply_trigger(cw, make.staff("comms"), ref, "close", CLOSE)


def _case(cw, reference):
    from casework.cases import rows

    with cw.reader() as uow:
        return rows.load(uow.driver, reference)
