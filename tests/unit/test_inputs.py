"""Required inputs of each trigger: missing, invalid and conditional values, with clear messages."""

from dataclasses import dataclass, field

import pytest

from workflows import A017
from workflows.spec import GuardContext, clean_inputs

VALID = {
    "dismiss": {"reason_code": "spam", "note": "spam"},
    "refer": {"category": ["hate_crime"], "strands": ["race"], "threat_to_life": "no", "note": "n"},
    "moderate": {"note": "abuse, no crime"},
    "request_information": {"question": "who?"},
    "give_advice": {"outcome": "no_crime", "rationale": "no offence", "advice": "moderate it"},
    "close": {"actions": ["hidden"], "note": "done"},
    "reopen": {"reason": "new post"},
}


@dataclass
class FakeCase:
    platform: str = "facebook"
    state: str = "x"
    force: str = "warwickshire"
    referred_by_id: int | None = None
    advised_by_id: int | None = None
    assignee_id: int | None = None
    referrer_ids: list[int] = field(default_factory=list)
    adviser_ids: list[int] = field(default_factory=list)
    open_question: str | None = None


def clean(trigger, inputs, platform="facebook", nchi=True, question=None):
    ctx = GuardContext(FakeCase(platform, open_question=question), 1, frozenset(), force_nchi_enabled=nchi)
    return clean_inputs(A017.transition(trigger), inputs, ctx)


@pytest.mark.parametrize("trigger", sorted(VALID))
def test_valid_inputs_pass(trigger):
    values, errors = clean(trigger, VALID[trigger])
    assert errors == {}
    assert set(values) <= set(VALID[trigger])


@pytest.mark.parametrize("trigger,field", [(t, f) for t, inputs in VALID.items() for f in inputs])
def test_each_required_input_missing_is_named(trigger, field):
    inputs = {k: v for k, v in VALID[trigger].items() if k != field}
    _, errors = clean(trigger, inputs)
    assert "required" in errors[field] or "at least one" in errors[field]


@pytest.mark.parametrize(
    "trigger,field,bad",
    [
        ("dismiss", "reason_code", "boring"),
        ("refer", "category", ["hate_crime", "rudeness"]),
        ("refer", "strands", ["age"]),
        ("refer", "offences", ["theft_act_1968"]),
        ("refer", "threat_to_life", "maybe"),
        ("give_advice", "outcome", "arrest"),
        ("close", "actions", ["shredded"]),
        ("moderate", "note", "x" * 5001),
        ("moderate", "note", "nul\x00byte"),
    ],
)
def test_invalid_values_are_refused_with_the_field_named(trigger, field, bad):
    _, errors = clean(trigger, {**VALID[trigger], field: bad})
    assert field in errors


def test_unknown_inputs_are_refused():
    _, errors = clean("moderate", {"note": "n", "severity": "high"})
    assert "severity" in errors


@pytest.mark.parametrize(
    "outcome,needed",
    [
        ("crime_recorded", {"crime_reference"}),
        ("nchi_recorded", {"incident_reference", "personal_data_threshold_met"}),
        ("no_crime", {"rationale"}),
        ("referred_elsewhere", {"referred_to"}),
    ],
)
def test_each_advice_outcome_requires_its_own_fields(outcome, needed):
    _, errors = clean("give_advice", {"outcome": outcome, "advice": "a"})
    assert set(errors) == needed


def test_a_crime_reference_must_look_like_one():
    _, errors = clean("give_advice", {"outcome": "crime_recorded", "crime_reference": "<b>", "advice": "a"})
    assert "crime_reference" in errors


def test_strands_are_needed_only_for_hate_crime():
    values, errors = clean(
        "refer", {"category": "malicious_communication", "threat_to_life": "yes", "note": "n", "strands": ["race"]}
    )
    assert errors == {} and "strands" not in values and values["threat_to_life"] is True


def test_close_offers_only_what_the_platform_supports():
    assert clean("close", {"actions": ["rejected"], "note": "n"}, platform="youtube")[1] == {}
    assert "actions" in clean("close", {"actions": ["rejected"], "note": "n"}, platform="facebook")[1]
    assert "actions" in clean("close", {"actions": ["deleted"], "note": "n"}, platform="youtube")[1]
    assert "actions" in clean("close", {"actions": ["deleted"], "note": "n"}, platform="x")[1]


def test_a_force_can_switch_the_nchi_outcome_off():
    inputs = {
        "outcome": "nchi_recorded",
        "incident_reference": "INC-1",
        "personal_data_threshold_met": "no",
        "advice": "a",
    }
    assert clean("give_advice", inputs, nchi=True)[1] == {}
    assert "outcome" in clean("give_advice", inputs, nchi=False)[1]


def test_a_referral_answering_an_open_question_must_answer_it():
    _, errors = clean("refer", VALID["refer"], question="Which post?")
    assert errors == {"answer": "Answer to the Crime Bureau's question is required"}
    values, errors = clean("refer", {**VALID["refer"], "answer": "the appeal"}, question="Which post?")
    assert errors == {} and values["answer"] == "the appeal"


def test_an_answer_without_an_open_question_is_refused():
    _, errors = clean("refer", {**VALID["refer"], "answer": "unasked"})
    assert errors == {"answer": "Answer to the Crime Bureau's question is not asked for now"}
