"""The detector takes time linear in the comment: crafted inputs cannot hold a worker (issue 11, item 7).

Timings are compared within the test, never against a bare clock figure: a crafted input four times
longer must take about four times as long (quadratic matching took sixteen), and per character no
longer than a generous multiple of an ordinary comment measured in the same run.
"""

from __future__ import annotations

import time

import pytest

from casework.errors import ValidationError
from casework.intake.detector import DEFAULT_RULES, load_rules, parse_rules

DETECTOR = load_rules(DEFAULT_RULES)
TYPICAL = "Thank you to the officers who helped my mum yesterday, the roads near Kenilworth are flooded. " * 3
CRAFTED = {
    "dotted letters": "b.",
    "spaced letters": "k k ",
    "look-alikes": "k1|!1 ",
    "long repeated letter": "kiiiiiiiiiiil",
    "phrase prefix": "go back to your own ",
    "invisible separators": "k\u200bi\u00ad",
}


def _seconds(text: str, repeats: int = 5) -> float:
    """The fastest of a few runs: the least disturbed by other work on the machine."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        DETECTOR.scan(text)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("unit", CRAFTED.values(), ids=CRAFTED.keys())
def test_a_crafted_input_four_times_longer_takes_about_four_times_as_long(unit):
    short, long = unit * (4000 // len(unit)), unit * (16000 // len(unit))
    _seconds(long, 1)  # warm the automaton's cache for this shape of text
    assert _seconds(long) / _seconds(short) < 8  # linear is ~4; the backtracking engine took ~16


@pytest.mark.parametrize("unit", CRAFTED.values(), ids=CRAFTED.keys())
def test_a_crafted_input_costs_per_character_about_what_an_ordinary_comment_does(unit):
    crafted = unit * (20000 // len(unit))
    per_char_typical = _seconds(TYPICAL) / len(TYPICAL)
    per_char_crafted = _seconds(crafted) / len(crafted)
    assert per_char_crafted < 20 * per_char_typical


def test_obfuscation_inside_a_long_crafted_text_is_still_found():
    assert DETECTOR.first("b." * 5000 + " i w1ll k.i.l.l you " + "k k " * 2000).rule == "threat_to_kill"


def test_a_rule_pattern_with_look_around_is_refused_as_not_linear_time():
    with pytest.raises(ValidationError, match=r"rules.bad.patterns\[0\]: invalid regular expression"):
        parse_rules({"rules": {"bad": {"category": "malicious_communication", "patterns": ["(?<!x)kill"]}}})
