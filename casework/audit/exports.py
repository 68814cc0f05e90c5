"""Exports of case histories as JSON or CSV, streamed; each one is first logged as a disclosure.

The JSON is for machines: every stored field as hashed, codes and all, so a recipient's tools can
re-check the chain. The CSV is for people reading it in a spreadsheet: headings, states, steps,
roles, forces, event kinds and event details in the label registry's words; references, digests
and hashes verbatim and in full.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import ColumnElement, func, select
from sqlmodel import col

from casework.access.actors import Actor
from casework.audit import disclosure
from casework.audit.retention import shown_comment
from casework.audit.tables import CaseRetention
from casework.cases.decisions import thread
from casework.cases.queries import case_in_force
from casework.clock import LONDON
from casework.config import DEFAULT_MARKING
from casework.errors import PermissionDenied, ValidationError
from casework.labels import Labels
from casework.storage.tables import Case, CaseEvent, Comment

if TYPE_CHECKING:
    from casework.runtime import Casework

FORMATS = ("json", "csv")
BATCH = 500  # cases per read; memory stays flat for any period
CSV_COLUMNS = (
    "reference",
    "force",
    "seq",
    "at",
    "actor",
    "role",
    "action",
    "from_state",
    "to_state",
    "data",
    "data_digest",
    "prev_hash",
    "hash",
)
CSV_HEADINGS = {  # what a person reads at the top of each column
    "reference": "Case reference",
    "force": "Force",
    "seq": "Event number",
    "at": "When (UTC)",
    "actor": "By",
    "role": "Role",
    "action": "Action",
    "from_state": "From",
    "to_state": "To",
    "data": "Details",
    "data_digest": "Data digest",
    "prev_hash": "Previous hash",
    "hash": "Hash",
}
MARKING_HEADING = "Protective marking"
MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8"}
_CaseRows = tuple[dict[str, Any], list[CaseEvent]]  # a case record and its events


@dataclass(frozen=True)
class Export:
    """A logged export, ready to stream: `chunks()` reads in its own transaction."""

    filename: str
    media_type: str
    cases: int
    _cw: Casework
    _where: tuple[ColumnElement[bool], ...]
    _fmt: str
    _header: dict[str, Any]

    def chunks(self) -> Iterator[bytes]:
        rows = _stream_cases(self._cw, self._where)
        if self._fmt == "json":
            return _json_chunks(self._header, rows)
        markings = {code: force.marking for code, force in self._cw.settings.forces.items()}
        return _csv_chunks(rows, markings, Labels(self._cw.workflow, self._cw.settings.forces))


def export_case(cw: Casework, actor: Actor, reference: str, fmt: str, recipient: str, purpose: str) -> Export:
    """One case's full history (and its evidence, unless redacted)."""
    disclosure.require_auditor(actor, "exporting")
    fmt = _format(fmt)
    recipient, purpose = disclosure.check_recipient(recipient, purpose)
    with cw.uow() as uow:
        case = case_in_force(uow.session, actor, reference)
        assert case.id is not None  # a stored case
        scope = {"scope": "case", "reference": reference}
        force = case.force
        disclosure.record_export(
            uow,
            cw,
            actor,
            case=(case.id, case.state),
            scope=scope,
            fmt=fmt,
            recipient=recipient,
            purpose=purpose,
            cases=1,
        )
        uow.commit()
    header = _header(cw, actor, scope, recipient, purpose, force)
    return Export(f"{reference}-history.{fmt}", MEDIA[fmt], 1, cw, (col(Case.id) == case.id,), fmt, header)


def export_period(
    cw: Casework, actor: Actor, force: str, first: date, last: date, fmt: str, recipient: str, purpose: str
) -> Export:
    """Every case of a force detected from `first` to `last` (London dates, inclusive), with histories."""
    disclosure.require_auditor(actor, "exporting")
    fmt = _format(fmt)
    recipient, purpose = disclosure.check_recipient(recipient, purpose)
    cw.settings.force(force)
    if not actor.in_force(force):
        raise PermissionDenied(f"you do not audit the force {force}")
    if first > last:
        raise ValidationError({"to": "must not be before the start date"})
    starts, ends = london_day_start(first), london_day_start(last + timedelta(days=1))
    where = (col(Case.force) == force, col(Case.detected_at) >= starts, col(Case.detected_at) < ends)
    scope = {
        "scope": "period",
        "force": force,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "starts": starts.isoformat(),
        "ends": ends.isoformat(),
    }
    with cw.uow() as uow:
        count = uow.session.execute(select(func.count()).select_from(Case).where(*where)).scalar_one()
        disclosure.record_export(
            uow, cw, actor, case=None, scope=scope, fmt=fmt, recipient=recipient, purpose=purpose, cases=count
        )
        uow.commit()
    header = _header(cw, actor, scope, recipient, purpose, force)
    return Export(f"{force}-{first}-to-{last}.{fmt}", MEDIA[fmt], count, cw, where, fmt, header)


def london_day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def event_record(event: CaseEvent) -> dict[str, Any]:
    """An event as exported: every stored field, the time in ISO 8601 UTC."""
    return {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "data": event.data,
        "data_digest": event.data_digest,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def case_record(case: Case, comment: Comment, retention: CaseRetention | None) -> dict[str, Any]:
    """The case and its evidence; personal data that was redacted reads "[redacted]"."""
    return {
        "reference": case.reference,
        "force": case.force,
        "platform": case.platform,
        "channel": case.channel,
        "external_id": case.external_id,
        "permalink": case.permalink,
        "state": case.state,
        "outcome": case.outcome,
        "threat_to_life": case.threat_to_life,
        "detected_at": case.detected_at.isoformat().replace("+00:00", "Z"),
        "detected_by": case.detected_by,
        "flag_reason": case.flag_reason,
        "evidence_digest": case.evidence_digest,
        "comment": shown_comment(comment, retention),
    }


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValidationError({"format": f"one of {', '.join(FORMATS)}"})
    return fmt


def _header(
    cw: Casework, actor: Actor, scope: dict[str, Any], recipient: str, purpose: str, force: str
) -> dict[str, Any]:
    return {
        **scope,
        "exported_at": cw.now().isoformat().replace("+00:00", "Z"),
        "exported_by": actor.username,
        "protective_marking": _marking(cw, force),
        "recipient": recipient,
        "purpose": purpose,
    }


def _marking(cw: Casework, code: str) -> str:
    force = cw.settings.forces.get(code)
    return force.marking if force else DEFAULT_MARKING


def _stream_cases(cw: Casework, where: tuple[ColumnElement[bool], ...]) -> Iterator[_CaseRows]:
    """(case record, its events) in case order, BATCH cases per query."""
    after: int | None = 0
    with cw.reader() as uow:
        s = uow.session
        while True:
            batch = s.execute(
                select(Case, Comment, CaseRetention)
                .join(Comment, col(Comment.case_id) == col(Case.id))
                .outerjoin(CaseRetention, col(CaseRetention.case_id) == col(Case.id))
                .where(*where, col(Case.id) > after)
                .order_by(col(Case.id))
                .limit(BATCH)
            ).all()
            if not batch:
                return
            ids = [case.id for case, _, _ in batch]
            events: dict[int | None, list[CaseEvent]] = {i: [] for i in ids}
            for event in s.execute(
                select(CaseEvent)
                .where(col(CaseEvent.case_id).in_(ids))
                .order_by(col(CaseEvent.case_id), col(CaseEvent.seq))
            ).scalars():
                events[event.case_id].append(event)
            for case, comment, retention in batch:
                decisions = [d.as_dict() for d in thread(events[case.id])]
                yield {**case_record(case, comment, retention), "decisions": decisions}, events[case.id]
            s.expunge_all()
            after = ids[-1]


def _json_chunks(header: dict[str, Any], rows: Iterable[_CaseRows]) -> Iterator[bytes]:
    yield b'{"export":' + orjson.dumps(header) + b',"cases":['
    for n, (case, events) in enumerate(rows):
        body = orjson.dumps(case)[:-1] + b',"events":[' + b",".join(orjson.dumps(event_record(e)) for e in events)
        yield (b"," if n else b"") + body + b"]}"
    yield b"]}\n"


def _csv_chunks(rows: Iterable[_CaseRows], markings: dict[str, str], labels: Labels) -> Iterator[bytes]:
    """One row per event, each carrying its force's protective marking in the first column."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([MARKING_HEADING, *(CSV_HEADINGS[c] for c in CSV_COLUMNS)])
    for case, events in rows:
        marking = markings.get(case["force"], DEFAULT_MARKING)
        for event in events:
            writer.writerow([marking, case["reference"], labels(case["force"]), *_csv_event(event, labels)])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _csv_event(event: CaseEvent, labels: Labels) -> list[Any]:
    """An event's cells in words; each details cell starts with a label, so no comment text starts a formula."""
    record = event_record(event)
    details = "; ".join(f"{name}: {words}" for name, words in labels.fields(event.action, event.data))
    words = {
        "role": labels.roles(event.role),  # "crime_bureau,supervisor" when a user acts in two
        "action": labels(event.action),
        "from_state": labels(event.from_state) if event.from_state else "",
        "to_state": labels(event.to_state) if event.to_state else "",
        "data": details,
    }
    return [words.get(c, record[c]) for c in CSV_COLUMNS[2:]]
