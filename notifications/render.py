"""Rendering at send time from the case as it is now (redactions included), never from stored text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from casework.clock import london
from casework.config import DEFAULT_MARKING
from casework.labels import Labels
from casework.notify.tables import Notification
from casework.storage.tables import Case, Comment, User

env = Environment(
    loader=PackageLoader("notifications", "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
env.filters["london"] = lambda value: (
    london(datetime.fromisoformat(value)).strftime("%d %b %Y %H:%M %Z") if value else "-"
)

env.filters["words"] = lambda codes, label: ", ".join(label(c) for c in codes or ())


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def case_url(base_url: str, reference: str) -> str:
    return f"{base_url.rstrip('/')}/cases/{reference}"


def context(
    n: Notification,
    case: Case,
    comment: Comment | None,
    recipient: User | None,
    base_url: str,
    labels: Labels,
    marking: str = DEFAULT_MARKING,
) -> dict[str, Any]:
    """What a template may use: the stored facts, the case and comment read now, labels and the marking."""
    shown = None  # a redacted (or missing) comment is never shown
    if comment is not None and comment.redacted_at is None and comment.text is not None:
        shown = {"text": comment.text, "author": comment.author_handle}
    return {
        "n": n.payload,
        "subject": n.subject,
        "url": case_url(base_url, case.reference),
        "recipient": recipient.display_name if recipient else None,
        "case": {
            "reference": case.reference,
            "platform": case.platform,
            "channel": case.channel,
            "state": case.state,
            "stage_inputs": case.stage_inputs or {},
        },
        "comment": shown,
        "label": labels,
        "marking": marking,
    }


def render(n: Notification, ctx: dict[str, Any]) -> Rendered:
    """The message with its protective marking first in the subject and at the top and foot of the body."""
    return Rendered(
        f"[{ctx['marking']}] {n.subject}",
        env.get_template(f"{n.kind}.txt").render(ctx),
        env.get_template(f"{n.kind}.html").render(ctx),
    )
