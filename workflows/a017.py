"""The A017 flagged-comment workflow (SPEC §3), declared once as data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from workflows import effects
from workflows.guards import not_a_referrer, not_an_adviser
from workflows.spec import ClockSpec, GuardContext, Input, StateSpec, TransitionSpec, Workflow, when

ROLES = ("channel_admin", "crime_bureau", "comms", "supervisor", "auditor", "system")
PLATFORMS = ("facebook", "x", "instagram", "youtube", "other")
DISMISS_REASONS = ("false_positive", "duplicate", "spam", "out_of_scope")
CATEGORIES = ("hate_crime", "malicious_communication")
STRANDS = ("race", "religion", "sexual_orientation", "disability", "transgender_identity")
OFFENCES = (
    "mca_1988_s1",
    "ca_2003_s127",
    "osa_2023_s179",
    "osa_2023_s181",
    "poa_1986_part3",
    "poa_1986_part3a",
    "pha_1997",
)
ADVICE_OUTCOMES = ("crime_recorded", "nchi_recorded", "no_crime", "referred_elsewhere")
ACTIONS = (
    "hidden",
    "deleted",
    "rejected",
    "replied",
    "reported_to_platform",
    "author_blocked",
    "referred_to_partner",
    "no_action",
)
_COMMON_ACTIONS = ("replied", "reported_to_platform", "author_blocked", "referred_to_partner", "no_action")
PLATFORM_ACTIONS = {
    "facebook": ("hidden", "deleted", *_COMMON_ACTIONS),
    "instagram": ("hidden", "deleted", *_COMMON_ACTIONS),
    "x": ("hidden", *_COMMON_ACTIONS),
    "youtube": ("rejected", *_COMMON_ACTIONS),
    "other": ("hidden", "deleted", *_COMMON_ACTIONS),
}


def _platform_actions(ctx: GuardContext) -> tuple[str, ...]:
    return PLATFORM_ACTIONS.get(ctx.case.platform, ACTIONS)


def _advice_outcomes(ctx: GuardContext) -> tuple[str, ...]:
    return tuple(o for o in ADVICE_OUTCOMES if o != "nchi_recorded" or ctx.force_nchi_enabled)


def _question_open(ctx: GuardContext) -> bool:
    return ctx.case.open_question is not None


def _note(name: str = "note", label: str = "Note", **kw: Any) -> Input:
    return Input(name, "text", label, **kw)


A017 = Workflow(
    name="a017",
    initial="detected",
    roles=ROLES,
    states=(
        StateSpec("detected", "Detected", "channel_admin"),
        StateSpec("admin_review", "Administrator review", "channel_admin"),
        StateSpec("crime_bureau_advice", "Crime Bureau advice", "crime_bureau"),
        StateSpec("comms_action", "Comms action", "comms"),
        StateSpec("closed", "Closed", None, final=True),
    ),
    transitions=(
        TransitionSpec(
            "start_review",
            "detected",
            "admin_review",
            frozenset({"channel_admin"}),
            "Start review",
            effects=(effects.assign_actor,),
            description="Take the case for first review; it is assigned to you.",
        ),
        TransitionSpec(
            "dismiss",
            "admin_review",
            "closed",
            frozenset({"channel_admin"}),
            "Dismiss",
            inputs=(Input("reason_code", "choice", "Reason", choices=DISMISS_REASONS), _note()),
            effects=(effects.record_dismissal, effects.close_case),
            description="Not a matter for the Crime Bureau or Comms.",
        ),
        TransitionSpec(
            "refer",
            "admin_review",
            "crime_bureau_advice",
            frozenset({"channel_admin", "comms"}),
            "Refer to Crime Bureau",
            inputs=(
                Input("category", "multichoice", "Category", choices=CATEGORIES),
                Input(
                    "strands",
                    "multichoice",
                    "Monitored strands",
                    choices=STRANDS,
                    required_when=when("category", "hate_crime"),
                ),
                Input("offences", "multichoice", "Offence candidates", choices=OFFENCES, required=False),
                Input("threat_to_life", "bool", "Threat to life"),
                _note(label="Referral note"),
                Input(
                    "answer",
                    "text",
                    "Answer to the Crime Bureau's question",
                    asked_when=_question_open,
                    help="The Crime Bureau sent the case back with a question; answer it here.",
                ),
            ),
            effects=(effects.record_referral, effects.unassign),
            prefilled=True,
            description="Possible hate crime or malicious communication: ask the Crime Bureau "
            "for crime-recording advice. Corporate Communications are told at once.",
        ),
        TransitionSpec(
            "moderate",
            "admin_review",
            "comms_action",
            frozenset({"channel_admin"}),
            "Send to Comms (no crime element)",
            inputs=(_note(),),
            effects=(effects.record_moderation, effects.unassign),
            description="Breaches community standards (abuse, spam, misinformation) without a crime element.",
        ),
        TransitionSpec(
            "request_information",
            "crime_bureau_advice",
            "admin_review",
            frozenset({"crime_bureau"}),
            "Ask the administrator",
            inputs=(Input("question", "text", "Question"),),
            effects=(effects.assign_referrer,),
            description="Send the case back to the referring administrator with a question.",
        ),
        TransitionSpec(
            "give_advice",
            "crime_bureau_advice",
            "comms_action",
            frozenset({"crime_bureau"}),
            "Give advice",
            inputs=(
                Input("outcome", "choice", "Outcome", choices=ADVICE_OUTCOMES, limit_choices=_advice_outcomes),
                Input(
                    "crime_reference", "reference", "Crime reference", required_when=when("outcome", "crime_recorded")
                ),
                Input(
                    "incident_reference",
                    "reference",
                    "Incident reference",
                    required_when=when("outcome", "nchi_recorded"),
                ),
                Input(
                    "personal_data_threshold_met",
                    "bool",
                    "Personal-data threshold of the NCHI code met",
                    required_when=when("outcome", "nchi_recorded"),
                ),
                Input("rationale", "text", "Rationale", required_when=when("outcome", "no_crime")),
                Input(
                    "referred_to",
                    "text",
                    "Agency or force",
                    max_length=200,
                    required_when=when("outcome", "referred_elsewhere"),
                ),
                Input("advice", "text", "Advice"),
            ),
            guards=(not_a_referrer,),
            effects=(effects.record_advice, effects.unassign),
            description="Crime-recording advice under the NCRS and Home Office Counting Rules.",
        ),
        TransitionSpec(
            "close",
            "comms_action",
            "closed",
            frozenset({"comms"}),
            "Close",
            inputs=(
                Input("actions", "multichoice", "Actions taken", choices=ACTIONS, limit_choices=_platform_actions),
                _note(),
            ),
            guards=(not_an_adviser,),
            effects=(effects.record_closure, effects.close_case),
            description="Record the follow-up taken on the channel and with partners.",
        ),
        TransitionSpec(
            "reopen",
            "closed",
            "admin_review",
            frozenset({"supervisor"}),
            "Reopen",
            inputs=(Input("reason", "text", "Reason"),),
            effects=(effects.reopen_case,),
            description="Send a closed case back to administrator review.",
        ),
    ),
    clocks=(
        ClockSpec("review_started", "Review started", ("intake",), ("leave:detected",), timedelta(hours=1)),
        ClockSpec(
            "review_decision", "Review decision", ("enter:admin_review",), ("leave:admin_review",), timedelta(hours=4)
        ),
        ClockSpec(
            "crime_recording_decision",
            "Crime-recording decision",
            ("intake", "trigger:reopen"),
            ("trigger:give_advice", "trigger:dismiss", "trigger:moderate"),
            timedelta(hours=24),
            threat_to_life_target=timedelta(hours=1),
        ),
        ClockSpec(
            "comms_action",
            "Comms action",
            ("enter:comms_action",),
            ("trigger:close",),
            timedelta(days=2),
            calendar="office_hours",
        ),
        ClockSpec("end_to_end", "End to end", ("intake", "trigger:reopen"), ("enter:closed",), timedelta(days=5)),
    ),
)
