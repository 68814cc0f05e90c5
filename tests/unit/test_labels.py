"""The label registry: an event's recorded fields read as words, under labels that fit the event."""

import pytest

from casework.labels import Labels
from workflows import A017


@pytest.fixture
def labels():
    return Labels(A017, {})


@pytest.mark.parametrize("action", ["flagged", "reflagged"])
def test_a_flag_gives_its_reason_as_why_flagged(labels, action):
    assert ("Why flagged", "Racist abuse") in labels.fields(action, {"reason": "Racist abuse"})


@pytest.mark.parametrize(
    "action", ["evidence_redacted", "retention_reviewed", "signed_out", "threat_to_life_escalated"]
)
def test_other_events_give_their_reason_as_reason(labels, action):
    pairs = labels.fields(action, {"reason": "Court order 12/2026"})
    assert ("Reason", "Court order 12/2026") in pairs
    assert all(label != "Why flagged" for label, _ in pairs)
