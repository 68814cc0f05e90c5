"""Per-force SLA targets: declared defaults, TOML overrides, and clear errors for bad configuration."""

from datetime import timedelta

import pytest

from casework.bootstrap import bootstrap
from casework.config import ForceConfig, Settings, load_forces
from casework.errors import ValidationError
from casework.sla.policy import Policy
from workflows import A017


def settings_with(sla) -> Settings:
    return Settings(
        forces={"warwickshire": ForceConfig("warwickshire", "Warwickshire Police", "WK", extra={"sla": sla})}
    )


def test_defaults_come_from_the_declaration():
    policy = Policy.load(Settings(), A017)
    comms = policy.target("west_mercia", "comms_action")
    assert (comms.calendar, comms.duration) == ("office_hours", timedelta(hours=20))
    crime = policy.target("warwickshire", "crime_recording_decision")
    assert crime.for_case(threat_to_life=False) == timedelta(hours=24)
    assert crime.for_case(threat_to_life=True) == timedelta(hours=1)


def test_a_force_overrides_targets_and_calendars_from_its_forces_file(tmp_path):
    path = tmp_path / "forces.toml"
    path.write_text("""
[forces.warwickshire]
name = "Warwickshire Police"
prefix = "WK"
[forces.warwickshire.sla.comms_action]
target_hours = 16
[forces.warwickshire.sla.review_decision]
target_hours = 8
calendar = "office_hours"
[forces.warwickshire.sla.crime_recording_decision]
threat_to_life_target_hours = 0.5
[forces.west_mercia]
name = "West Mercia Police"
prefix = "WM"
""")
    policy = Policy.load(Settings(forces=load_forces(path)), A017)
    assert policy.target("warwickshire", "comms_action").duration == timedelta(hours=16)
    assert policy.target("warwickshire", "review_decision").calendar == "office_hours"
    assert policy.target("warwickshire", "crime_recording_decision").for_case(True) == timedelta(minutes=30)
    assert policy.target("west_mercia", "comms_action").duration == timedelta(hours=20)


@pytest.mark.parametrize(
    "sla, field, words",
    [
        ({"comms": {"target_hours": 4}}, "forces.warwickshire.sla.comms", "unknown clock"),
        ({"comms_action": {"target_hours": 0}}, "forces.warwickshire.sla.comms_action.target_hours", "above 0"),
        (
            {"comms_action": {"target_hours": "16"}},
            "forces.warwickshire.sla.comms_action.target_hours",
            "number of hours",
        ),
        (
            {"comms_action": {"target_hours": True}},
            "forces.warwickshire.sla.comms_action.target_hours",
            "number of hours",
        ),
        (
            {"comms_action": {"calendar": "weekdays"}},
            "forces.warwickshire.sla.comms_action.calendar",
            "24x7, office_hours",
        ),
        ({"comms_action": {"target": 4}}, "forces.warwickshire.sla.comms_action.target", "unknown setting"),
        ({"comms_action": 4}, "forces.warwickshire.sla.comms_action", "must be a table"),
        (
            {"end_to_end": {"threat_to_life_target_hours": 1}},
            "forces.warwickshire.sla.end_to_end.threat_to_life_target_hours",
            "no threat-to-life target",
        ),
        (
            {"crime_recording_decision": {"threat_to_life_target_hours": 48}},
            "forces.warwickshire.sla.crime_recording_decision.threat_to_life_target_hours",
            "not be longer",
        ),
        ("fast", "forces.warwickshire.sla", "table of clocks"),
    ],
)
def test_bad_sla_configuration_is_refused_at_start_up_naming_the_setting(sla, field, words):
    with pytest.raises(ValidationError) as refused:
        bootstrap(settings_with(sla), engine=object())
    assert words in refused.value.errors[field]
    assert "SLA configuration" in refused.value.message
