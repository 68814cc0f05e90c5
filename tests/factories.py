"""Factories that build users and cases through the services, so every row has its events."""

from __future__ import annotations

import itertools

from casework.access import users
from casework.access.actors import Actor
from casework.cases import actions
from casework.intake import flags as intake
from casework.runtime import Casework

REFER = {"category": ["hate_crime"], "strands": ["race"], "threat_to_life": "no", "note": "please advise"}
ADVICE = {"outcome": "crime_recorded", "crime_reference": "23/00001/26", "advice": "record it"}
CLOSE = {"actions": ["hidden"], "note": "hidden and logged"}

PATH_TO = {
    "detected": [],
    "admin_review": [("admin", "start_review", {})],
    "crime_bureau_advice": [("admin", "start_review", {}), ("admin", "refer", REFER)],
    "comms_action": [("admin", "start_review", {}), ("admin", "refer", REFER), ("bureau", "give_advice", ADVICE)],
    "closed": [
        ("admin", "start_review", {}),
        ("admin", "refer", REFER),
        ("bureau", "give_advice", ADVICE),
        ("comms", "close", CLOSE),
    ],
}


class Factory:
    def __init__(self, cw: Casework):
        self.cw = cw
        self._ids = itertools.count(1)
        self._staff: dict[tuple[str, str], Actor] = {}

    def user(self, username: str, roles, forces=("warwickshire",), password: str | None = None) -> Actor:
        users.add_user(self.cw, username, roles=list(roles), forces=list(forces), password=password)
        return users.actor_for(self.cw, username)

    def staff(self, kind: str, force: str = "warwickshire") -> Actor:
        """One standing user per kind and force: admin, bureau, comms, supervisor, auditor."""
        key = (kind, force)
        if key not in self._staff:
            role = {"admin": "channel_admin", "bureau": "crime_bureau", "comms": "comms"}.get(kind, kind)
            self._staff[key] = self.user(f"{force[:2]}.{kind}", [role], [force])
        return self._staff[key]

    def flag_payload(self, force: str = "warwickshire", **overrides) -> dict:
        n = next(self._ids)
        payload = {
            "force": force,
            "platform": "facebook",
            "channel": "Force page",
            "external_id": f"c-{n}",
            "permalink": f"https://facebook.com/c-{n}",
            "text": f"hostile comment {n}",
            "reason": "race",
            "author_handle": "author_one",
        }
        payload.update(overrides)
        return payload

    def case(self, state: str = "detected", force: str = "warwickshire", **overrides):
        """A case moved to `state` by the standing staff of its force; returns the reference."""
        result = intake.flag_comment(self.cw, self.staff("admin", force), self.flag_payload(force, **overrides))
        for who, trigger, inputs in PATH_TO[state]:
            actions.apply_trigger(self.cw, self.staff(who, force), result.case.reference, trigger, inputs)
        return result.case.reference
