"""The CSV of a /cases view: a disclosure (DPA 2018 s.62), recorded with the cases it holds before any byte leaves.

It is read by people, in a spreadsheet, and nothing imports it back: headings, forces, states, outcomes
and platforms are in the label registry's words, each row carries its force's protective marking, and
references, channels, usernames, handles and comment text stay verbatim.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlencode

from casework.access.actors import Actor
from casework.audit.disclosure import check_recipient, record_export
from casework.cases.listing import CaseQuery, CaseRow, read_page
from casework.clock import london
from casework.config import DEFAULT_MARKING
from casework.labels import Labels
from casework.runtime import Casework

MAX_EXPORT = 5000
HEADINGS = (
    *("Protective marking", "Case reference", "Force", "State", "Outcome", "Platform", "Channel"),
    *("Detected (London)", "Last changed (London)", "Assignee", "Threat to life", "Author handle", "Comment"),
)


def export_list(
    cw: Casework, actor: Actor, query: CaseQuery, recipient: str, purpose: str
) -> tuple[int, Iterator[str]]:
    """Read the whole view (up to MAX_EXPORT cases), record the export, then hand back the CSV lines."""
    recipient, purpose = check_recipient(recipient, purpose)
    rows: list[CaseRow] = []
    page_query = replace(query, after="", per_page=200)
    while len(rows) < MAX_EXPORT:
        page = read_page(cw, actor, page_query)
        rows += page.rows
        if page.next_after is None:
            break
        page_query = replace(page_query, after=page.next_after)
    rows = rows[:MAX_EXPORT]
    with cw.uow() as uow:
        record_export(
            uow,
            cw,
            actor,
            case=None,
            scope={
                "scope": "case_list",
                "filters": urlencode(query.args(after="")),
                "references": [r.reference for r in rows],
                "forces": sorted({r.force for r in rows}),
            },
            fmt="csv",
            recipient=recipient,
            purpose=purpose,
            cases=len(rows),
        )
        uow.commit()
    return len(rows), _lines(cw, rows)


def _lines(cw: Casework, rows: list[CaseRow]) -> Iterator[str]:
    labels = Labels(cw.workflow, cw.settings.forces)
    markings = {code: force.marking for code, force in cw.settings.forces.items()}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADINGS)
    for r in rows:
        writer.writerow(
            [
                markings.get(r.force, DEFAULT_MARKING),
                r.reference,
                labels(r.force),
                labels(r.state),
                labels(r.outcome) if r.outcome else "",
                labels(r.platform),
                r.channel,
                london(r.detected_at).isoformat(),
                london(r.updated_at).isoformat(),
                r.assignee or "",
                "yes" if r.threat_to_life else "no",
                spreadsheet_text(r.author_handle),
                spreadsheet_text(r.excerpt),
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def spreadsheet_text(value: str | None) -> str:
    """Hostile text stays text in a spreadsheet: a leading = + - @ would start a formula."""
    if value is None:
        return ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
