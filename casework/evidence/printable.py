"""The printable case history in a package: plain HTML, every value escaped, no script, styles inline-free.

A person reads it, so it speaks in the label registry's words under the force's protective marking;
references, digests, ids and links stay verbatim (`case/history.json` beside it keeps the codes).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from typing import Any

from casework.clock import london
from casework.labels import Labels

STYLE = "body{font:11pt serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:4px;vertical-align:top}code{word-break:break-all}"  # noqa: E501


def _cell(value: Any) -> str:
    return f"<td>{escape('' if value is None else str(value))}</td>"


def _row(values: Iterable[Any]) -> str:
    return "<tr>" + "".join(_cell(v) for v in values) + "</tr>"


def _heading(names: Iterable[str]) -> str:
    return "<tr>" + "".join(f"<th>{escape(n)}</th>" for n in names) + "</tr>"


def history_html(
    case: dict[str, Any],
    events: list[dict[str, Any]],
    exhibits: list[dict[str, Any]],
    made: str,
    labels: Labels,
    marking: str,
) -> bytes:
    """One page: the case facts, the captured comment, the exhibit list and every event in order."""
    comment = case.get("comment", {})
    shown = f"<p><strong>Protective marking: {escape(marking)}</strong></p>"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Case {escape(case['reference'])}: evidence package</title>",
        f"<style>{STYLE}</style></head><body>{shown}",
        f"<h1>Case {escape(case['reference'])}</h1><p>{escape(made)}</p><table>",
        *(_row((labels(name), labels(case.get(name)))) for name in ("force", "platform")),
        *(_row((labels(name), case.get(name))) for name in ("channel", "external_id", "permalink")),
        *(_row((labels(name), labels(case.get(name)))) for name in ("state", "outcome")),
        _row(("Detected", f"{case['detected_at']} by {case['detected_by']}")),
        _row(("Evidence digest (SHA-256)", case["evidence_digest"])),
        "</table><h2>Captured comment</h2><table>",
        *(_row((labels(name), value)) for name, value in comment.items()),
        "</table><h2>Exhibits</h2><table>",
        _heading(("Exhibit", "Producer", "Time (London)", "SHA-256", "Description", "File")),
        *(
            _row(
                (x["exhibit"], x["producer"], x["time_london"], x["sha256"], x["description"], x["file"] or "redacted")
            )
            for x in exhibits
        ),
        "</table><h2>History</h2><table>",
        _heading(("#", "Time (London)", "Who", "What", "From → to", "Details")),
        *(_row(_event(e, labels)) for e in events),
        f"</table>{shown}</body></html>\n",
    ]
    return "".join(parts).encode("utf-8")


def _event(e: dict[str, Any], labels: Labels) -> tuple[Any, ...]:
    moved = f"{labels(e['from_state']) if e['from_state'] else '-'} → {labels(e['to_state']) if e['to_state'] else '-'}"
    details = "; ".join(f"{name}: {words}" for name, words in labels.fields(e["action"], e["data"]))
    return (
        e["seq"],
        london_text(e["at"]),
        f"{e['actor']} ({labels.roles(e['role'])})",
        labels(e["action"]),
        moved,
        details,
    )


def london_text(stamp: str) -> str:
    return london(datetime.fromisoformat(stamp.replace("Z", "+00:00"))).strftime("%d %b %Y %H:%M:%S %Z")
