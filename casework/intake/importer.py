"""Bulk import: streams JSONL, CSV or platform payloads a line at a time; bad lines are reported, not fatal.

Lines of our own JSONL/CSV format are comments someone already flagged (with a reason); platform
payload lines go through the detector. A comment that is already a case is skipped, so a re-run
creates nothing twice and records one summary event, not a re-flag per line.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from casework.access.actors import Actor
from casework.errors import CaseworkError, PermissionDenied, ValidationError
from casework.intake import flags as intake
from casework.intake import ingest
from casework.intake.channels import Channels
from casework.intake.detector import Detector
from casework.intake.platforms import normalise
from casework.runtime import Casework

log = logging.getLogger(__name__)
OWN_FORMATS = ("jsonl", "csv")
PLATFORM_FORMATS = ("facebook", "instagram", "x", "youtube")
FORMATS = OWN_FORMATS + PLATFORM_FORMATS
MAX_LINE = 1024 * 1024
BATCH = 200
csv.field_size_limit(MAX_LINE)

OnError = Callable[[int, str], None]


@dataclass
class ImportReport:
    records: int = 0
    created: int = 0
    already_present: int = 0
    not_flagged: int = 0
    changes_recorded: int = 0
    failed: int = 0
    sha256: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class _Source:
    """Physical lines of a binary file with their numbers; tracks bytes read and the file's digest."""

    def __init__(self, stream: BinaryIO, on_bytes: Callable[[int], None]) -> None:
        self.stream, self.on_bytes = stream, on_bytes
        self.digest = hashlib.sha256()

    def lines(self) -> Iterator[tuple[int, bytes | None]]:
        """(number, bytes) per line; None for a line longer than MAX_LINE (its rest is skipped)."""
        number = 0
        while True:
            raw = self._read(MAX_LINE + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                while (rest := self._read(MAX_LINE)) and not rest.endswith(b"\n"):
                    pass
                yield number, None
                continue
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            yield number, raw

    def _read(self, limit: int) -> bytes:
        raw = self.stream.readline(limit)
        self.digest.update(raw)
        self.on_bytes(len(raw))
        return raw


def _jsonl(source: _Source, on_error: OnError) -> Iterator[tuple[int, object]]:
    for number, raw in source.lines():
        if raw is None:
            on_error(number, f"line longer than {MAX_LINE} bytes")
            continue
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
            yield number, orjson.loads(text)
        except UnicodeDecodeError as exc:
            on_error(number, f"not valid UTF-8 (byte {exc.start + 1} of the line)")
        except orjson.JSONDecodeError as exc:
            on_error(number, f"not valid JSON: {exc}")


def _csv(source: _Source, on_error: OnError) -> Iterator[tuple[int, object]]:
    """CSV records (quoted newlines allowed) as dicts of their non-empty cells, numbered by first line."""
    last = [0]  # the number of the last physical line the CSV reader consumed

    def text_lines() -> Iterator[str]:
        for number, raw in source.lines():
            last[0] = number
            if raw is None:
                on_error(number, f"line longer than {MAX_LINE} bytes")
                continue
            # surrogateescape keeps bad bytes visible so the record holding them can be reported
            yield raw.decode("utf-8", "surrogateescape")

    reader = csv.reader(text_lines(), strict=True)
    header, start = None, 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            on_error(start, f"not valid CSV: {exc}")
            start = last[0] + 1
            continue
        first, start = start, last[0] + 1
        if _has_bad_bytes(row):
            on_error(first, "not valid UTF-8")
            continue
        if header is None:
            header = [h.strip() for h in row]
            if unknown := sorted(set(header) - set(intake.FLAG_FIELDS)):
                raise ValidationError({"header": f"line {first}: unknown column(s) {', '.join(unknown)}"})
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            on_error(first, f"{len(row)} cells; the header has {len(header)}")
            continue
        yield first, {k: v for k, v in zip(header, row, strict=False) if v != ""}


def _has_bad_bytes(row: list[str]) -> bool:
    try:
        for cell in row:
            cell.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def import_file(
    cw: Casework,
    path: Path,
    fmt: str,
    actor: Actor,
    *,
    channels: Channels,
    detector: Detector,
    on_error: OnError,
    on_bytes: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    """Import every good record of the file; `on_error(line, reason)` hears about each bad one."""
    if fmt not in FORMATS:
        raise ValidationError({"format": f"one of {', '.join(FORMATS)}"})
    if not actor.role_for(intake.FLAGGING_ROLES):
        raise PermissionDenied("importing flagged comments needs the role channel_admin")
    report = ImportReport()
    waiting: list[tuple[int, str]] = []  # reported in line order once the batch holding them has run

    def failed(number: int, reason: str) -> None:
        report.failed += 1
        waiting.append((number, reason))

    def flush() -> None:
        for number, reason in sorted(waiting):
            on_error(number, reason)
        waiting.clear()

    try:
        with open(path, "rb") as stream:
            source = _Source(stream, on_bytes)
            records = (_jsonl if fmt != "csv" else _csv)(source, failed)
            run = _own_batch if fmt in OWN_FORMATS else _platform_batch
            batch: list[tuple[int, object]] = []
            for number, record in records:
                report.records += 1
                batch.append((number, record))
                if len(batch) >= BATCH:
                    run(cw, batch, fmt, actor, channels, detector, report, failed)
                    batch = []
                    flush()
            if batch:
                run(cw, batch, fmt, actor, channels, detector, report, failed)
            report.sha256 = source.digest.hexdigest()
    except BaseException as exc:  # Ctrl-C or a lost database: what was done so far is still on record
        flush()
        _record_interrupted(cw, actor, path, fmt, report, exc)
        raise
    flush()
    _record_summary(cw, actor, path, fmt, report)
    return report


def _own_batch(
    cw: Casework,
    batch: list[tuple[int, object]],
    fmt: str,
    actor: Actor,
    channels: Channels,
    detector: Detector,
    report: ImportReport,
    failed: OnError,
) -> None:
    flags: list[tuple[int, object, tuple[str, str, str]]] = []
    for number, record in batch:
        try:
            flag = intake.parse_flag(record, cw)
            if not actor.in_force(flag.force):
                raise PermissionDenied(f"you do not act for the force {flag.force}")
        except CaseworkError as exc:
            failed(number, exc.message)
            continue
        flags.append((number, record, (flag.force, flag.platform, flag.external_id)))
    present = set(ingest.existing_cases(cw, {key for _, _, key in flags}))
    for number, record, key in flags:
        if key in present:
            report.already_present += 1
            continue
        try:
            result = intake.flag_comment(cw, actor, record, reflag=False)
        except CaseworkError as exc:
            failed(number, exc.message)
            continue
        present.add(key)
        # Counted from what the insert did, not the look-up above: a concurrent import may have won.
        report.created += result.created
        report.already_present += not result.created


def _platform_batch(
    cw: Casework,
    batch: list[tuple[int, object]],
    fmt: str,
    actor: Actor,
    channels: Channels,
    detector: Detector,
    report: ImportReport,
    failed: OnError,
) -> None:
    routed: list[ingest.Routed] = []
    for number, record in batch:
        try:
            items = ingest.route(normalise(fmt, record), channels, tag=number)
            ingest.check(cw, items)
            if outside := sorted({r.channel.force for r in items} - actor.forces):
                raise PermissionDenied(f"you do not act for the force {', '.join(outside)}")
        except CaseworkError as exc:
            failed(number, exc.message)
            continue
        routed.extend(items)
    problems: list[tuple[int, str]] = []
    tally = ingest.ingest(cw, routed, detector, source="import", failures=problems)
    for number, reason in problems:
        failed(number, reason)
    report.created += tally.flagged
    report.already_present += tally.already_cases
    report.not_flagged += tally.not_flagged
    report.changes_recorded += tally.changes_recorded


def _record_summary(cw: Casework, actor: Actor, path: Path, fmt: str, report: ImportReport, **extra: object) -> None:
    """One event per run, whatever the number of lines: what came in and what became of it."""
    with cw.uow() as uow:
        uow.record(
            "import",
            at=cw.now(),
            actor=actor.username,
            role=actor.role_for(intake.FLAGGING_ROLES),
            data={"file": Path(path).name[:200], "format": fmt, **report.as_dict(), **extra},
        )
        uow.commit()


def _record_interrupted(
    cw: Casework, actor: Actor, path: Path, fmt: str, report: ImportReport, exc: BaseException
) -> None:
    reason = type(exc).__name__ if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"[:300]
    try:
        _record_summary(cw, actor, path, fmt, report, interrupted=reason)
    except Exception as failure:  # the database itself is gone: say so, and let the first error through
        log.error("import of %s interrupted (%s); its summary could not be recorded: %s", path, reason, failure)
