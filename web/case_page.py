"""What the case page needs beyond the case: feedback kept across a redirect, and the timeline's filters."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import session
from werkzeug.datastructures import MultiDict

from casework.cases import queries
from casework.runtime import Casework
from casework.storage.tables import CaseEvent

SESSION_KEY = "case_feedback"
TIMELINE_LIMIT = 200  # events of one group on the page; the auditor's print and the API history have them all
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


def timeline(cw: Casework, case_id: int, show: str | None) -> tuple[list[CaseEvent], list[TimelineFilter]]:
    """The newest events of one group (at most TIMELINE_LIMIT), and every group with its count.

    Every view of a case is one of its events, so a much-viewed case has thousands: the groups are
    counted in SQL and only the shown group's newest events are read.
    """
    keys = [key for key, _, _ in TIMELINE_FILTERS]
    show = show if show in keys else keys[0]
    counts = queries.action_counts(cw, case_id)
    filters = [
        TimelineFilter(key, heading, sum(n for action, n in counts.items() if _group(action) == key), key == show)
        for key, heading, _ in TIMELINE_FILTERS
    ]
    shown = [action for action in counts if _group(action) == show]
    return queries.newest_events(cw, case_id, shown, TIMELINE_LIMIT), filters
