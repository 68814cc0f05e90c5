"""Demo data: users for every role in both forces and about 40 cases over every state and outcome."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlmodel import select

from casework.access import users
from casework.cases import actions
from casework.clock import FrozenClock
from casework.config import ForceConfig
from casework.intake import flags as intake
from casework.runtime import Casework
from casework.storage.tables import User

DEMO_PASSWORD = "casework-demo"

# (username suffix, display name, roles)
_STAFF = (
    ("admin", "Channel Administrator", ["channel_admin"]),
    ("admin2", "Second Channel Administrator", ["channel_admin"]),
    ("bureau", "Crime Bureau Officer", ["crime_bureau"]),
    ("bureau2", "Crime Bureau Sergeant", ["crime_bureau", "supervisor"]),
    ("comms", "Corporate Communications Officer", ["comms"]),
    ("comms2", "Head of Corporate Communications", ["comms", "supervisor"]),
)

# (platform, author, text, reason)
_COMMENTS = (
    (
        "facebook",
        "jay_k_1990",
        "Go back to where you came from, your lot don't belong in this town.",
        "race: hostility to origin",
    ),
    (
        "x",
        "truthseeker_77",
        "Every one of them should be deported, starting with the family in that photo.",
        "race: targets identifiable family",
    ),
    (
        "instagram",
        "mia.rose.22",
        "Lovely photo of the open day, thanks for coming to our school!",
        "keyword match: 'school' (likely false positive)",
    ),
    ("youtube", "@roadwatch", "I know where that PCSO lives. Watch your back.", "threat against an officer"),
    (
        "facebook",
        "dave.m.smith",
        "Typical, the mosque gets police protection and we get nothing. Burn it down.",
        "religion: incitement",
    ),
    ("x", "anon_warks", "BUY CHEAP FOLLOWERS >>> bit.ly/xx", "spam link"),
    (
        "facebook",
        "karen_b_64",
        "Disgusting that you lot support pride month. These people are sick.",
        "sexual orientation: hostility",
    ),
    (
        "instagram",
        "lads_on_tour",
        "Look at him limping about, should be put down like a lame dog.",
        "disability: dehumanising",
    ),
    (
        "youtube",
        "@justasking",
        "Is it even a woman? Freak. Someone should sort it out.",
        "transgender identity: threat",
    ),
    (
        "facebook",
        "jay_k_1990",
        "Told you before, you're not welcome. We'll be waiting outside.",
        "race: repeat author, threat",
    ),
    (
        "x",
        "concerned_resident",
        "This force is useless, 3 hours to attend a burglary.",
        "abusive keyword (complaint, no crime)",
    ),
    (
        "facebook",
        "<b>hacker</b>",
        "<script>alert('pwned')</script> you are all corrupt <img src=x onerror=alert(1)>",
        "markup in comment",
    ),
    (
        "instagram",
        "mark_t",
        "The sergeant in this video is a [slur] and deserves a kicking.",
        "race: slur and violence",
    ),
    ("youtube", "@newsbot", "Fake news! This stabbing never happened, crisis actors.", "misinformation"),
    (
        "facebook",
        "jay_k_1990",
        "Third time. You'll see what happens when nobody is watching.",
        "race: repeat author, escalation",
    ),
    ("x", "sam_p", "Jewish bankers own the police, everyone knows it.", "religion: antisemitic trope"),
    (
        "facebook",
        "grumpy_neighbour",
        "Why don't you do something about the parking on Church Street!!",
        "keyword match: 'do something' (no crime)",
    ),
    ("instagram", "fitness_fan", "Follow me for a free protein shake giveaway", "spam"),
    ("youtube", "@ukpatriot", "Wheelchair users are a drain, gas the lot of them.", "disability: incitement"),
    ("x", "no_name_123", "I'm going to find the officer who stopped me and make him pay.", "threat against an officer"),
)

_PATHS: tuple[list[str], ...] = (
    [],
    ["start_review"],
    ["start_review", "refer"],
    ["start_review", "refer", "request_information"],
    ["start_review", "refer", "give_advice:crime_recorded"],
    ["start_review", "moderate"],
    ["start_review", "dismiss"],
    ["start_review", "refer", "give_advice:crime_recorded", "close"],
    ["start_review", "refer", "give_advice:nchi_recorded", "close"],
    ["start_review", "refer", "give_advice:no_crime", "close"],
    ["start_review", "refer", "give_advice:referred_elsewhere", "close"],
    ["start_review", "moderate", "close"],
    ["start_review", "dismiss", "reopen"],
    ["start_review", "refer:threat", "give_advice:crime_recorded"],
)

_ADVICE = {
    "crime_recorded": {
        "crime_reference": "23/{n:05d}/26",
        "advice": "Record as a crime; OIC allocated. Preserve the evidence before hiding.",
    },
    "nchi_recorded": {
        "incident_reference": "INC-{n:05d}",
        "personal_data_threshold_met": "no",
        "advice": "Non-crime hate incident; threshold for personal data not met.",
    },
    "no_crime": {
        "rationale": "Offensive but no offence under the MCA 1988 or CA 2003.",
        "advice": "No crime. Moderate per community standards.",
    },
    "referred_elsewhere": {
        "referred_to": "Metropolitan Police Service",
        "advice": "Author resides in the MPS area; referred there.",
    },
}


def demo_usernames(cw: Casework) -> list[str]:
    """The usernames `load_demo` creates, in the order people try them."""
    return [f"{f.prefix.lower()}.{suffix}" for f in cw.settings.forces.values() for suffix, _, _ in _STAFF] + [
        "auditor"
    ]


@dataclass(frozen=True)
class DemoCounts:
    users: int
    cases: int


def load_demo(cw: Casework) -> DemoCounts | None:
    """Create demo users and cases through the services (so the audit chain is real); None if users exist."""
    with cw.reader() as uow:
        if uow.session.exec(select(User)).first():
            return None
    for force in cw.settings.forces.values():
        short = force.prefix.lower()
        for suffix, name, roles in _STAFF:
            users.add_user(
                cw,
                f"{short}.{suffix}",
                roles=roles,
                forces=[force.code],
                password=DEMO_PASSWORD,
                display_name=f"{name} ({force.name})",
                email=f"{short}.{suffix}@example.police.uk",
            )
    users.add_user(
        cw,
        "auditor",
        roles=["auditor"],
        forces=list(cw.settings.forces),
        password=DEMO_PASSWORD,
        display_name="Professional Standards Auditor",
        email="auditor@example.police.uk",
    )
    clock = FrozenClock(cw.now())
    demo = replace(cw, clock=clock)
    count = 0
    for f_index, force in enumerate(cw.settings.forces.values()):
        for index, (platform, author, text, reason) in enumerate(_COMMENTS):
            n = f_index * len(_COMMENTS) + index
            path = _PATHS[n % len(_PATHS)]
            clock.set(cw.now() - _age(n, path))
            _one_case(demo, clock, force, n, platform, author, text, reason, path)
            count += 1
    return DemoCounts(users=len(_STAFF) * len(cw.settings.forces) + 1, cases=count)


def _age(n: int, path: list[str]) -> timedelta:
    """How long ago a demo case was flagged: closed ones over the past week, open ones today, so the
    queue shows a realistic mix of deadlines on time, near and overdue."""
    if path and path[-1] in ("close", "dismiss"):
        return timedelta(days=2, hours=4 * n)
    return timedelta(minutes=20 + 150 * len(path) + 37 * (n % 5))


def _one_case(
    cw: Casework,
    clock: FrozenClock,
    force: ForceConfig,
    n: int,
    platform: str,
    author: str,
    text: str,
    reason: str,
    path: list[str],
) -> None:
    short = force.prefix.lower()
    actor = {name: users.actor_for(cw, f"{short}.{name}") for name in ("admin", "admin2", "bureau", "bureau2", "comms")}
    ref = intake.flag_comment(
        cw,
        actor["admin"],
        {
            "force": force.code,
            "platform": platform,
            "channel": f"{force.name} ({platform})",
            "external_id": f"demo-{short}-{n:04d}",
            "permalink": f"https://{platform}.example/{short}/{n:04d}",
            "author_handle": author,
            "text": text,
            "reason": reason,
            "posted_at": (clock.now() - timedelta(minutes=20)).isoformat(),
        },
        detected_by="detector:demo-rules",
    ).case.reference
    for step in path:
        clock.advance(minutes=35)
        trigger, _, option = step.partition(":")
        inputs, who = _inputs(trigger, option, n, platform), actor["admin"]
        if trigger in ("request_information", "give_advice"):
            who = actor["bureau"]
        elif trigger == "close":
            who = actor["comms"]
        elif trigger == "reopen":
            who = users.actor_for(cw, f"{short}.comms2")
        actions.apply_trigger(cw, who, ref, trigger, inputs)


def _inputs(trigger: str, option: str, n: int, platform: str) -> dict[str, Any]:
    if trigger == "refer":
        return {
            "category": ["hate_crime", "malicious_communication"],
            "strands": ["race"],
            "offences": ["mca_1988_s1"],
            "threat_to_life": "yes" if option == "threat" else "no",
            "note": "Hostile to a protected characteristic; please advise on recording.",
        }
    if trigger == "give_advice":
        return {"outcome": option, **{k: v.format(n=n) for k, v in _ADVICE[option].items()}}
    if trigger == "close":
        action = "rejected" if platform == "youtube" else "hidden"
        return {"actions": [action, "reported_to_platform"], "note": "Hidden pending investigation; reported."}
    return {
        "dismiss": {"reason_code": "false_positive", "note": "Benign on reading; the keyword matched out of context."},
        "moderate": {"note": "Abusive but no crime element; hide under community standards."},
        "request_information": {"question": "Has the author posted on other force channels this week?"},
        "reopen": {"reason": "Author posted again; the dismissal needs a second look."},
    }.get(trigger, {})
