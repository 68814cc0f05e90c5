"""One registry of the words people read for the codes the system uses.

Built from the workflow declaration (states, steps, inputs, clocks) and the forces, plus the fixed
vocabularies below (roles, event kinds, choices, event fields), so pages, prints, e-mails, CSV headers and
error pages all say the same thing and no code reaches a person. Evidence (external ids, references,
digests, links) is never looked up: it is shown verbatim and in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from casework.config import ForceConfig
from workflows.spec import Workflow

ROLES = {
    "channel_admin": "Channel administrator",
    "crime_bureau": "Crime Bureau",
    "comms": "Comms",
    "supervisor": "Supervisor",
    "auditor": "Auditor",
    "system": "System",
}

EVENT_KINDS = {
    "flagged": "Flagged",
    "reflagged": "Flagged again",
    "transition": "Step taken",
    "refused": "Refused",
    "assigned": "Assigned",
    "comment": "Note",
    "linked": "Linked with another case",
    "viewed": "Viewed",
    "exported": "Exported",
    "escalated": "Escalated (threat to life)",
    "sla_warning": "Deadline due soon",
    "sla_breach": "Deadline missed",
    "notification_sent": "Notification sent",
    "notification_failed": "Notification failed",
    "notification_dead": "Notification given up",
    "notification_retried": "Notification sent again",
    "notification_dropped": "Notification dropped",
    "notification_preference": "Notification preferences changed",
    "mentioned": "Mentioned",
    "redacted": "Personal data redacted",
    "legal_hold_set": "Legal hold set",
    "legal_hold_lifted": "Legal hold lifted",
    "checkpoint": "Checkpoint taken",
    "audit_verified": "Chain verified",
    "import": "Import",
    "user_added": "User added",
    "token_issued": "API token issued",
    "token_revoked": "API token revoked",
    "webhook_added": "Webhook added",
    "webhook_disabled": "Webhook switched off",
    "webhook_enabled": "Webhook switched on",
    "comment_edited": "Comment edited on the platform",
    "comment_removed": "Comment removed from the platform",
    "referral": "Referral",
    "threat_to_life": "Threat to life",
    "advice_given": "Advice given",
    "information_requested": "Information requested",
    "reopened": "Reopened",
    "closed": "Closed",
}

CHOICES = {
    "mca_1988_s1": "Malicious Communications Act 1988 s.1",
    "ca_2003_s127": "Communications Act 2003 s.127",
    "osa_2023_s179": "Online Safety Act 2023 s.179 (false communications)",
    "osa_2023_s181": "Online Safety Act 2023 s.181 (threatening communications)",
    "poa_1986_part3": "Public Order Act 1986 Part 3 (racial hatred)",
    "poa_1986_part3a": "Public Order Act 1986 Part 3A (religious / sexual orientation hatred)",
    "pha_1997": "Protection from Harassment Act 1997",
    "hate_crime": "Hate crime",
    "malicious_communication": "Malicious communication",
    "sexual_orientation": "Sexual orientation",
    "transgender_identity": "Transgender identity",
    "nchi_recorded": "Non-crime hate incident recorded",
    "crime_recorded": "Crime recorded",
    "no_crime": "No crime",
    "referred_elsewhere": "Referred to another agency or force",
    "reported_to_platform": "Reported to the platform",
    "author_blocked": "Author blocked",
    "referred_to_partner": "Referred to a partner",
    "no_action": "No action",
    "rejected": "Rejected (YouTube)",
    "false_positive": "False positive",
    "out_of_scope": "Out of scope",
    "x": "X",
    "youtube": "YouTube",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "office_hours": "Office hours",
    "24x7": "Around the clock",
    "nchi_personal_data_threshold_not_met": "Non-crime hate incident under the personal-data threshold",
    "retention_review_passed": "Retention review date passed",
}

_FLAG_EVENTS = frozenset({"flagged", "reflagged"})

FIELDS = {
    "external_id": "Comment id on the platform",
    "permalink": "Link to the comment",
    "text": "Comment text",
    "reason": "Why flagged",
    "author_handle": "Author handle",
    "author_name": "Author display name",
    "author_id": "Author id on the platform",
    "posted_at": "Posted at",
    "force": "Force",
    "platform": "Platform",
    "channel": "Channel",
    "digest": "Digest",
    "evidence_digest": "Evidence digest",
    "trigger": "Step",
    "inputs": "Inputs",
    "clock": "Deadline",
    "deadline": "Due",
    "noticed": "Noticed",
    "assignee": "Assignee",
    "other": "Other case",
    "reference": "Case reference",
    "recipient": "Recipient",
    "purpose": "Purpose",
    "format": "Format",
    "channel_kind": "Channel",
    "kind": "Kind",
    "attempt": "Attempt",
    "error": "Error",
    "via": "Through",
    "seq": "Event number",
    "hash": "Hash",
    "head_hash": "Head hash",
    "rule": "Detector rule",
    "version": "Version",
    "expected_version": "Expected version",
    "actor": "By",
    "role": "Role",
    "action": "Action",
    "at": "When",
    "from_state": "From",
    "to_state": "To",
    "case": "Case",
    "user": "User",
    "username": "Username",
    "roles": "Roles",
    "forces": "Forces",
    "refusal": "Why refused",
    "errors": "Problems",
    "as_at": "As at",
    "from": "From",
    "to": "To",
    "reporter": "Reported by",
    "mentioned": "Mentioned",
    "dropped_because": "Dropped because",
    "detected_by": "Detected by",
    "due_at": "Due",
    "fields": "Fields",
    "recorded_at": "Recorded",
    "run": "Run",
    "attempted": "Attempted",
    "delivery_id": "Delivery id",
    "notification": "Notification",
    "message_id": "Message id",
    "outcome": "Outcome",
    "state": "State",
    "threat_to_life": "Threat to life",
    "scope": "Scope",
    "cases": "Cases",
    "events": "Events",
    "ok": "Intact",
    "first_bad_seq": "First bad event",
    "seconds": "Seconds",
    "hold": "Legal hold",
}

REFUSALS = {
    "ValidationError": "Some fields need attention",
    "TransitionNotAllowed": "Not possible at this stage",
    "PermissionDenied": "Not allowed for this user",
    "ConcurrentUpdate": "The case had changed meanwhile",
    "CaseNotFound": "Case not found",
}

VERBATIM = frozenset(
    {
        "external_id",
        "permalink",
        "digest",
        "evidence_digest",
        "hash",
        "head_hash",
        "reference",
        "other",
        "seq",
        "delivery_id",
        "message_id",
        "crime_reference",
        "incident_reference",
        "text",
        "note",
    }
)
"""Event fields that are evidence: shown exactly as stored, whatever they look like."""


class Labels:
    """Human words for every code: `labels("admin_review")` is "Administrator review"."""

    def __init__(self, workflow: Workflow, forces: Mapping[str, ForceConfig]):
        self._words: dict[str, str] = {**FIELDS, **CHOICES, **ROLES, **EVENT_KINDS}
        self._declared: set[str] = set(ROLES) | set(forces)
        for state in workflow.states:
            self._words[state.name] = state.label
            self._declared.add(state.name)
        for spec in workflow.transitions:
            self._declared.update((spec.trigger, *(i.name for i in spec.inputs)))
            self._declared.update(c for i in spec.inputs for c in i.choices)
            for item in spec.inputs:
                self._words.setdefault(item.name, item.label)
                for choice in item.choices:
                    self._words.setdefault(choice, choice.replace("_", " ").capitalize())
        for clock in workflow.clocks:
            self._words[clock.name] = clock.label
            self._declared.add(clock.name)
        self._steps = {spec.trigger: spec.label for spec in workflow.transitions}
        self._inputs = {spec.trigger: {i.name: i.label for i in spec.inputs} for spec in workflow.transitions}
        self._words.update(self._steps)  # a step's label wins over a state of the same name ("Close")
        self._words.update({code: force.name for code, force in forces.items()})
        # codes that cannot be ordinary words: those with "_", role and force codes
        spoken = sorted((c for c in self._words if "_" in c or c in ROLES or c in forces), key=len, reverse=True)
        self._codes_in_text = re.compile(r"(?<![\w./@-])(" + "|".join(map(re.escape, spoken)) + r")(?![\w/-])")

    def __call__(self, code: Any) -> str:
        if code is None:
            return "—"
        code = str(code)
        return self._words.get(code) or code.replace("_", " ").capitalize()

    def relabel(self, text: str) -> str:
        """A message written for logs and the API ("needs the role channel_admin"), in words for a page."""
        return self._codes_in_text.sub(lambda m: self._words[m.group(1)], text)

    def knows(self, value: Any) -> bool:
        return isinstance(value, str) and value in self._words

    def step(self, trigger: str) -> str:
        return self._steps.get(trigger) or self(trigger)

    def value(self, key: str | None, value: Any) -> str:
        """An event field's value in words: evidence verbatim, codes as labels, lists joined."""
        if value is None:
            return "—"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if key in VERBATIM:
            return str(value)
        if key == "trigger":
            return self.step(str(value))
        if isinstance(value, (list, tuple)):
            return ", ".join(self.value(key, v) for v in value)
        if isinstance(value, Mapping):
            return "; ".join(f"{self(k)}: {self.value(k, v)}" for k, v in value.items())
        return self(value) if self.knows(value) else str(value)

    def join(self, codes: Iterable[str]) -> str:
        return ", ".join(self(c) for c in codes)

    def roles(self, value: str | Iterable[str] | None) -> str:
        """Roles as words, whether stored as a list or as "comms,supervisor"."""
        if not value:
            return "—"
        codes = value.split(",") if isinstance(value, str) else sorted(value)
        return " · ".join(self(c.strip()) for c in codes)

    def fields(self, action: str, data: Mapping[str, Any] | None, skip: Iterable[str] = ()) -> list[tuple[str, str]]:
        """An event's data as (label, words) pairs: step inputs under their own labels, refusals explained."""
        data = {k: v for k, v in (data or {}).items() if k not in set(skip)}
        if action == "comment" and "text" in data:
            return [("Note", str(data["text"]))]
        spec_labels = self._input_labels(data.get("trigger") or data.get("attempted"))
        pairs: list[tuple[str, str]] = []
        if action == "refused":
            if data.get("errors"):
                data.pop("reason", None)  # the per-field messages say it better
            if kind := data.pop("refusal", None):
                pairs.append(("Why refused", REFUSALS.get(kind, "Refused")))
        for key, value in data.items():
            if key in ("inputs", "errors") and isinstance(value, Mapping):
                for name, inner in value.items():
                    pairs.append((spec_labels.get(name) or self(name), self.value(name, inner)))
            elif key == "roles":
                pairs.append((self(key), self.roles(value)))
            elif key == "reason" and action == "refused":
                pairs.append(("Reason", self.relabel(str(value))))
            elif key == "reason" and action not in _FLAG_EVENTS:
                pairs.append(("Reason", self.value(key, value)))  # "Why flagged" is the flag's own reason
            elif key == "attempted":
                pairs.append((self(key), self.step(str(value))))
            else:
                pairs.append((self(key), self.value(key, value)))
        return pairs

    def _input_labels(self, trigger: Any) -> dict[str, str]:
        return self._inputs.get(str(trigger), {}) if trigger else {}

    def declared_codes(self) -> frozenset[str]:
        """Every code the declaration, the roles and the forces define (the test looks for none on a page)."""
        return frozenset(self._declared)
