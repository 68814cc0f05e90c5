"""The detector: each category and strand, obfuscation, no false positives on ordinary replies, clear rule errors."""

from __future__ import annotations

import pytest

from casework.errors import ValidationError
from casework.intake.detector import DEFAULT_RULES, load_rules, parse_rules

DETECTOR = load_rules(DEFAULT_RULES)

HOSTILE = [
    ("Go back to your own country", "hate_crime", "race"),
    ("filthy immigrants ruining everything", "hate_crime", "race"),
    ("Deport all Muslims now", "hate_crime", "religion"),
    ("someone should burn the synagogue", "hate_crime", "religion"),
    ("bunch of poofters", "hate_crime", "sexual_orientation"),
    ("gays are disgusting", "hate_crime", "sexual_orientation"),
    ("what a retard", "hate_crime", "disability"),
    ("spastics the lot of them", "hate_crime", "disability"),
    ("troons everywhere", "hate_crime", "transgender_identity"),
    ("just a bloke in a dress", "hate_crime", "transgender_identity"),
    ("I will kill you", "malicious_communication", None),
    ("kill all the coppers", "malicious_communication", None),
    ("I know where you live", "malicious_communication", None),
    ("watch your back mate", "malicious_communication", None),
]

OBFUSCATED = [
    "i w1ll k1ll y0u",
    "I W I L L K I L L Y O U",
    "i will k.i.l.l you",
    "i wiiiill kiiiiill youuuu",
    "g0 b4ck 2 your own c0untry".replace(" 2 ", " to "),
    "r3t4rd",
    "r-e-t-a-r-d",
    "RETAAAARD",
    "p00fters",
    "tr@nnies",
    "muzz1es",
    "kys",
    "K.Y.S",
    "I kn0w wh3re y0u l1ve",
    "you're d3ad m3at",
    "youre a dead man",
    "k\u200bill yourself",
    "sp4st1cs",
    "ｒｅｔａｒｄ",
]

BENIGN = [
    "Thank you to the officers who helped my mum yesterday",
    "What a killer deal on the charity calendar!",
    "Anyone else from Scunthorpe watching this?",
    "I'm dying of laughter at the police dog video",
    "Great work catching the burglars in Leamington",
    "How do I report a lost wallet?",
    "Is the station on Hamilton Terrace open on Sundays?",
    "Why does it take 40 minutes to answer 101?",
    "My car was broken into last night on Warwick Road, nobody came",
    "This is a disgrace, the speed cameras are a cash grab",
    "Well done PC Smith, proper community policing",
    "Can you share the number for victim support please?",
    "The roads near Kenilworth are flooded, drive carefully",
    "Thanks for your kind words everyone",
    "We should shoot a video of the open day",
    "My knee is killing me after the fun run",
    "That new series is a killer, binge-watched it all",
    "Skills day at the college was brilliant",
    "Assassin's Creed fan here, great recruitment poster",
    "The dead end sign on Mill Lane has fallen down",
    "You'll die laughing at this one",
    "Hope you didn't get wet at the parade",
    "Watch your speed in the school zones please",
    "Back to school traffic is awful this morning",
    "Country lanes are icy, take care",
    "Go back to the main road, the bridge is closed",
    "I live where the new estate is going up, any news on the street lights?",
    "The pigs at the city farm escaped again haha",
    "Shooting stars over Stratford last night, beautiful",
    "Retired officer here, proud of the team",
    "Retardant foam used by the fire service, good to know",
    "Spastic colon is a terrible old name for IBS, glad it changed",
    "Homogenised milk is on offer at the shop",
    "Mosque open day was lovely, thanks for coming along",
    "The synagogue choir sang at the memorial service",
    "Happy Pride to all our LGBT officers",
    "Trans day of visibility, proud of our colleagues",
    "Our disability network meets on Thursday",
    "Black History Month talk at the library",
    "Immigration advice session at the community centre",
    "I'm going to the carnival, are roads closed?",
    "I will find the receipt and email it over",
    "I know where you mean, it's by the Co-op",
    "You're dead right about the parking",
    "The petrol station on the A46 had a spill",
    "Kill the engine when parked, idling wastes fuel",
    "Stab vest donation drive, well done",
    "That film was a massacre at the box office",
    "Country and western night raised £500",
    "Our kind neighbour found the missing cat",
    "Please stop sending them all back to the front desk",
    "Warwickshire 2 - 1 Worcestershire, cracking match",
    "Foreign exchange students visited the station",
    "Scunthorpe and Penistone lads on the same course",
    "Cocktail night at the Sussex Arms",
    "Massive respect to the 999 call handlers",
    "Titmouse spotted in the station garden",
    "Grapefruit juice is great",
    "Who do I call about a fallen tree?",
    "Kyshire Farm? no, Kyshill Farm, postcode CV35",
]


@pytest.mark.parametrize("text, category, strand", HOSTILE)
def test_each_category_and_strand_is_detected(text, category, strand):
    match = DETECTOR.first(text)
    assert match is not None, text
    assert (match.category, match.strand) == (category, strand)


@pytest.mark.parametrize("text", OBFUSCATED)
def test_common_obfuscation_does_not_hide_a_term(text):
    assert DETECTOR.first(text) is not None, text


def test_ordinary_replies_to_a_police_page_are_not_flagged():
    assert len(BENIGN) >= 50
    flagged = {text: DETECTOR.first(text).rule for text in BENIGN if DETECTOR.first(text)}
    assert flagged == {}


def test_a_match_names_its_rule_in_the_reason_and_detected_by():
    match = DETECTOR.first("Go back where you came from")
    assert match.detected_by == "detector:race_go_back"
    assert "race_go_back" in match.reason and "hate crime (race)" in match.reason


def test_every_strand_and_both_categories_have_a_default_rule():
    kinds = {(r.category, r.strand) for r in DETECTOR.rules}
    assert {s for c, s in kinds if c == "hate_crime"} == {
        "race",
        "religion",
        "sexual_orientation",
        "disability",
        "transgender_identity",
    }
    assert ("malicious_communication", None) in kinds


def test_scan_lists_every_rule_that_matches():
    assert {m.rule for m in DETECTOR.scan("retard, I will kill you")} == {"disability_slurs", "threat_to_kill"}


@pytest.mark.parametrize(
    "rule, problem",
    [
        (
            {"category": "hate_crime", "strand": "race", "patterns": ["(unclosed"]},
            "rules.bad.patterns[0]: invalid regular expression",
        ),
        (
            {"category": "hate_crime", "strand": "height", "terms": ["x"]},
            "rules.bad.strand: a hate_crime rule needs a strand",
        ),
        ({"category": "hate_crime", "terms": ["x"]}, "rules.bad.strand"),
        (
            {"category": "malicious_communication", "strand": "race", "terms": ["x"]},
            "only hate_crime rules have a strand",
        ),
        ({"category": "hate_crime", "strand": "race", "terms": []}, "rules.bad: needs at least one of terms"),
        ({"category": "hate_crime", "strand": "race", "terms": [""]}, "rules.bad.terms[0]: must be non-empty text"),
        ({"category": "hate_crime", "strand": "race", "terms": ["two words"]}, "put it in phrases"),
        ({"category": "spam", "terms": ["x"]}, "rules.bad.category"),
        ({"category": "hate_crime", "strand": "race", "terms": ["x"], "colour": "red"}, "unknown key(s) colour"),
    ],
)
def test_an_invalid_rule_is_refused_naming_the_rule_and_field(rule, problem):
    with pytest.raises(ValidationError) as caught:
        parse_rules({"rules": {"bad": rule}}, "my-rules.toml")
    assert problem in caught.value.message and "my-rules.toml" in caught.value.message


def test_an_unreadable_or_empty_rules_file_is_refused(tmp_path):
    broken = tmp_path / "rules.toml"
    broken.write_text("[rules.x\n")
    with pytest.raises(ValidationError, match="cannot read the rules"):
        load_rules(broken)
    broken.write_text("title = 'no rules'\n")
    with pytest.raises(ValidationError, match=r"needs at least one \[rules.<id>\] table"):
        load_rules(broken)
