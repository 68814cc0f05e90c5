"""Rendering at send time from the case as it is now (redactions included), never from stored text.

Templates see the change and the case, not the recipient: everyone told of one change reads the same
words, so a batch renders each change once however many people it goes to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from casework.clock import london
from casework.config import DEFAULT_MARKING, ForceConfig
from casework.labels import Labels
from casework.notify.tables import Notification
from casework.storage.tables import Case, Comment

env = Environment(
    loader=PackageLoader("notifications", "templates"),
    auto_reload=False,  # templates ship with the code: no stat of the file on every render
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


class Renderer:
    """Renders for one batch, each change once: the rows of one change share kind, case, subject and
    payload, and a case reads the same for all of them within the batch."""

    def __init__(self, base_url: str, labels: Labels, forces: Mapping[str, ForceConfig]):
        self.base_url, self.labels, self.forces = base_url, labels, forces
        self._done: dict[tuple[str, int, str, bytes], Rendered] = {}

    def __call__(self, n: Notification, case: Case, comment: Comment | None) -> Rendered:
        key = (n.kind, n.case_id, n.subject, orjson.dumps(n.payload, option=orjson.OPT_SORT_KEYS))
        if key not in self._done:
            marking = self.forces[case.force].marking if case.force in self.forces else DEFAULT_MARKING
            self._done[key] = render(n, context(n, case, comment, self.base_url, self.labels, marking))
        return self._done[key]
