"""Concurrent actions: exactly one of 16 conflicting actions wins; the chain never forks."""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from casework.audit import verify as audit
from casework.cases import actions
from casework.errors import ConcurrentUpdate
from casework.intake import flags as intake
from casework.storage.tables import Case, CaseEvent
from tests.factories import REFER

CONFLICTING = [("dismiss", {"reason_code": "spam", "note": "spam"}), ("refer", REFER), ("moderate", {"note": "abuse"})]


def run_together(count, action):
    barrier = threading.Barrier(count)

    def one(i):
        barrier.wait()
        try:
            return action(i)
        except ConcurrentUpdate as exc:
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_sixteen_conflicting_actions_on_one_case_one_wins(cw, make):
    ref = make.case("admin_review")
    admins = [make.user(f"wa.admin{i}", ["channel_admin"]) for i in range(16)]

    def act(i):
        trigger, inputs = CONFLICTING[i % 3]
        return actions.apply_trigger(cw, admins[i], ref, trigger, inputs, expected_version=2)

    results = run_together(16, act)
    winners = [r for r in results if not isinstance(r, ConcurrentUpdate)]
    losers = [r for r in results if isinstance(r, ConcurrentUpdate)]
    assert len(winners) == 1 and len(losers) == 15
    assert all("changed" in str(e) for e in losers)
    with cw.reader() as uow:
        case = uow.session.execute(select(Case).where(Case.reference == ref)).scalar_one()
        assert case.version == 3 and case.state == winners[0].dest
        kinds = uow.session.execute(
            select(CaseEvent.action, func.count()).where(CaseEvent.case_id == case.id).group_by(CaseEvent.action)
        ).all()
        assert dict(kinds) == {"flagged": 1, "transition": 2, "refused": 15}
        assert audit.verify(uow.session).ok


def test_concurrent_intake_on_many_cases_keeps_one_unbroken_chain(cw, make):
    admin = make.staff("admin")
    payloads = [make.flag_payload() for _ in range(24)]
    results = run_together(8, lambda i: [intake.flag_comment(cw, admin, p) for p in payloads[i::8]])
    references = {r.case.reference for batch in results for r in batch}
    assert len(references) == 24
    with cw.reader() as uow:
        verification = audit.verify(uow.session)
    assert verification.ok and verification.count == 24 + len(make._staff)


def test_the_same_comment_flagged_concurrently_is_still_one_case(cw, make):
    admin = make.staff("admin")
    payload = make.flag_payload()
    results = run_together(8, lambda i: intake.flag_comment(cw, admin, payload))
    assert len({r.case.reference for r in results}) == 1
    assert sum(r.created for r in results) == 1
    with cw.reader() as uow:
        assert audit.verify(uow.session).ok
