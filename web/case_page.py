"""What the case page needs beyond the case: feedback kept across a redirect, and the timeline's filters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import session
from werkzeug.datastructures import MultiDict

from casework.storage.tables import CaseEvent

SESSION_KEY = "case_feedback"
MAX_KEPT = 3000  # bytes of feedback a signed session cookie can carry beside the rest (browsers cap at 4 KB)

# (key, heading, event kinds): the first is shown by default; the story of the case, not the noise
TIMELINE_FILTERS: tuple[tuple[str, str, frozenset[str] | None], ...] = (
    (
        "decisions",
        "Decisions and notes",
        frozenset(
            {
                "flagged",
                "reflagged",
                "transition",
                "comment",
                "assigned",
                "linked",
                "escalated",
                "redacted",
                "legal_hold_set",
                "legal_hold_lifted",
                "comment_edited",
                "comment_removed",
            }
        ),
    ),
    ("deadlines", "Deadlines", frozenset({"sla_warning", "sla_breach"})),
    ("notifications", "Notifications", None),  # every notification_* kind
    ("views", "Views and exports", frozenset({"viewed", "exported"})),
    ("refusals", "Refusals", frozenset({"refused"})),
)


@dataclass
class Feedback:
    """What to show again after a refused post: the form it came from, its values and what went wrong."""

    form: str = ""  # "transition:<trigger>", "assign", "comment" or "link"
    values: MultiDict = field(default_factory=MultiDict)
    errors: dict = field(default_factory=dict)
    alert: str = ""
    conflict: bool = False

    def keep(self, reference: str) -> bool:
        """Carry this feedback to the next GET of the case (post/redirect/get); False if it is too big."""
        kept = {
            "ref": reference,
            "form": self.form,
            "values": list(self.values.items(multi=True)),
            "errors": self.errors,
            "alert": self.alert,
            "conflict": self.conflict,
        }
        if len(json.dumps(kept)) > MAX_KEPT:
            return False
        session[SESSION_KEY] = kept
        return True

    @classmethod
    def taken(cls, reference: str) -> Feedback:
        """The feedback kept for this case, removed from the session so a reload starts clean."""
        kept = session.pop(SESSION_KEY, None)
        if not kept or kept.get("ref") != reference:
            return cls()
        return cls(kept["form"], MultiDict(kept["values"]), kept["errors"], kept["alert"], kept["conflict"])


@dataclass(frozen=True)
class TimelineFilter:
    key: str
    heading: str
    count: int
    current: bool


def _group(action: str) -> str:
    for key, _, kinds in TIMELINE_FILTERS:
        if (kinds is None and action.startswith("notification_")) or (kinds and action in kinds):
            return key
    return "decisions"


def timeline(events: Sequence[CaseEvent], show: str | None) -> tuple[list[CaseEvent], list[TimelineFilter]]:
    """The events of one group, newest first, and every group with its count."""
    keys = [key for key, _, _ in TIMELINE_FILTERS]
    show = show if show in keys else keys[0]
    groups = [_group(e.action) for e in events]
    filters = [TimelineFilter(key, heading, groups.count(key), key == show) for key, heading, _ in TIMELINE_FILTERS]
    shown = [e for e, g in zip(events, groups, strict=True) if g == show]
    return sorted(shown, key=lambda e: e.seq or 0, reverse=True), filters
