"""The A017 workflow table of SPEC §3: every trigger × state × role, allowed or refused with a reason."""

from dataclasses import dataclass, field
from datetime import UTC

import pytest

from workflows import A017
from workflows.engine import WorkflowEngine
from workflows.spec import GuardContext

STATES = ("detected", "admin_review", "crime_bureau_advice", "comms_action", "closed")
ROLES = ("channel_admin", "crime_bureau", "comms", "supervisor", "auditor", "system")
ALLOWED = {
    ("start_review", "detected"): {"channel_admin"},
    ("dismiss", "admin_review"): {"channel_admin"},
    ("refer", "admin_review"): {"channel_admin", "comms"},
    ("moderate", "admin_review"): {"channel_admin"},
    ("request_information", "crime_bureau_advice"): {"crime_bureau"},
    ("give_advice", "crime_bureau_advice"): {"crime_bureau"},
    ("close", "comms_action"): {"comms"},
    ("reopen", "closed"): {"supervisor"},
}
DESTINATIONS = {
    "start_review": "admin_review",
    "dismiss": "closed",
    "refer": "crime_bureau_advice",
    "moderate": "comms_action",
    "request_information": "admin_review",
    "give_advice": "comms_action",
    "close": "closed",
    "reopen": "admin_review",
}


@dataclass
class FakeCase:
    state: str
    force: str = "warwickshire"
    platform: str = "facebook"
    referred_by_id: int | None = 99
    advised_by_id: int | None = 98
    referrer_ids: list[int] = field(default_factory=lambda: [99])
    adviser_ids: list[int] = field(default_factory=lambda: [98])
    assignee_id: int | None = None
    open_question: str | None = None


engine = WorkflowEngine(A017)


def ctx(state, roles, actor_id=1, **case):
    return GuardContext(case=FakeCase(state, **case), actor_id=actor_id, actor_roles=frozenset(roles))


def test_the_declaration_has_exactly_the_specified_states_and_triggers():
    assert tuple(s.name for s in A017.states) == STATES
    assert set(A017.triggers) == set(DESTINATIONS)
    assert {t.trigger: t.dest for t in A017.transitions} == DESTINATIONS


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("trigger", sorted(DESTINATIONS))
def test_each_trigger_is_allowed_only_from_its_state_to_its_roles(trigger, state, role):
    refusal = engine.refusal(trigger, ctx(state, {role}))
    allowed_roles = ALLOWED.get((trigger, state))
    if allowed_roles is None:
        assert refusal.kind == "state"
        assert f"not possible in state {state}" in refusal.reason
        possible = [t for (t, s) in ALLOWED if s == state]
        assert all(p in refusal.reason for p in possible)
    elif role in allowed_roles:
        assert refusal is None
    else:
        assert refusal.kind == "role"
        assert all(r in refusal.reason for r in allowed_roles)


def test_an_unknown_trigger_is_refused_naming_the_known_ones():
    refusal = engine.refusal("to_closed", ctx("detected", {"supervisor"}))
    assert refusal.kind == "unknown"
    assert "start_review" in refusal.reason and "reopen" in refusal.reason


def test_no_auto_transitions_bypass_the_guards():
    assert not any(name.startswith("to_") for name in engine.machine.events)


def test_anyone_who_ever_referred_cannot_give_the_advice():
    refusal = engine.refusal(
        "give_advice", ctx("crime_bureau_advice", {"crime_bureau"}, actor_id=7, referred_by_id=9, referrer_ids=[7, 9])
    )
    assert refusal.kind == "guard" and "you referred this case" in refusal.reason


def test_anyone_who_ever_advised_cannot_close():
    refusal = engine.refusal("close", ctx("comms_action", {"comms"}, actor_id=8, advised_by_id=None, adviser_ids=[8]))
    assert refusal.kind == "guard" and "you gave the advice" in refusal.reason


def test_available_lists_what_a_multi_role_user_may_do_now():
    available = engine.available(ctx("admin_review", {"channel_admin", "comms"}))
    assert [t.trigger for t in available] == ["dismiss", "refer", "moderate"]
    assert engine.available(ctx("crime_bureau_advice", {"crime_bureau"}, actor_id=99)) == [
        A017.transition("request_information")
    ]


def test_the_shared_machine_keeps_nothing_per_case():
    case = FakeCase("detected")
    from datetime import datetime

    from workflows.effects import Action

    engine.fire(Action(case, "start_review", 5, {}, datetime.now(UTC)), ctx("detected", {"channel_admin"}))
    assert case.state == "admin_review" and case.assignee_id == 5
    assert engine.machine.models == []
