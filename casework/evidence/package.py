"""Evidence packages (SPEC §11): one ZIP with the case history, the comment, every exhibit and a signed manifest.

Making one is a disclosure: the `exported` event (recipient, purpose) commits before the package is
written. Each file's SHA-256 is computed while it is written; the manifest lists them all and is
signed with the instance's Ed25519 key, so `casework evidence verify` can prove offline, with only
the public key, that nothing in the package was changed, added or removed.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from sqlmodel import col

from casework.access.actors import Actor
from casework.audit import disclosure, exports
from casework.audit.list_export import spreadsheet_text
from casework.audit.tables import CaseRetention
from casework.cases.queries import case_in_force
from casework.clock import london
from casework.config import DEFAULT_MARKING
from casework.errors import PermissionDenied
from casework.evidence import attachments, keys, printable
from casework.evidence.sniff import FILE_EXTENSIONS
from casework.evidence.tables import Attachment, EvidenceBlob
from casework.labels import Labels
from casework.storage.tables import Case, CaseEvent, Comment

if TYPE_CHECKING:
    from casework.runtime import Casework

PACKAGERS = frozenset({"auditor", "crime_bureau"})
FORMAT = "casework-evidence-package/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
EXHIBIT_COLUMNS = (
    "exhibit",
    "producer",
    "producer_name",
    "time_utc",
    "time_london",
    "sha256",
    "size",
    "media_type",
    "description",
    "file",
    "redacted_at",
)
EXHIBIT_HEADINGS = (
    *("Exhibit", "Producer", "Producer's name", "Time (UTC)", "Time (London)", "SHA-256", "Size (bytes)"),
    *("Media type", "Description", "File", "Redacted at"),
)


@dataclass(frozen=True)
class Package:
    reference: str
    files: dict[str, dict[str, Any]]
    public_key: str


def exhibit_file(item: Attachment) -> str:
    return f"exhibits/{item.exhibit.replace('/', '-')}.{FILE_EXTENSIONS.get(item.media_type, 'bin')}"


@dataclass
class _Contents:
    case: Case
    record: dict[str, Any]
    items: list[Attachment]
    blobs: dict[str, EvidenceBlob]
    events: list[dict[str, Any]] = field(default_factory=list)


def make_package(cw: Casework, actor: Actor, reference: str, recipient: str, purpose: str, out: IO[bytes]) -> Package:
    """Log the disclosure, then write the package to `out` (a file opened for writing)."""
    if not actor.roles & PACKAGERS:
        raise PermissionDenied("evidence packages are made by auditors and Crime Bureau staff")
    recipient, purpose = disclosure.check_recipient(recipient, purpose)
    key = keys.load_key(cw.settings.evidence_key_file)  # a missing key is refused before anything is logged
    public = keys.public_text(key.public_key())
    contents = _disclose(cw, actor, reference, recipient, purpose)
    exhibits = [_exhibit(item, contents.blobs[item.sha256]) for item in contents.items]
    made = f"made {cw.now().isoformat()} by {actor.username} for {recipient}: {purpose}"
    force = cw.settings.forces.get(contents.case.force)
    marking = force.marking if force else DEFAULT_MARKING
    files: dict[str, dict[str, Any]] = {}
    pretty = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        history = {"case": contents.record, "events": contents.events}
        _write(archive, files, "case/history.json", [orjson.dumps(history, option=pretty)])
        labels = Labels(cw.workflow, cw.settings.forces)
        printed = printable.history_html(contents.record, contents.events, exhibits, made, labels, marking)
        _write(archive, files, "case/history.html", [printed])
        captured = {"evidence_digest": contents.record["evidence_digest"], "comment": contents.record["comment"]}
        _write(archive, files, "case/comment.json", [orjson.dumps(captured, option=pretty)])
        _write(archive, files, "exhibits.csv", [_exhibits_csv(exhibits, marking)])
        for item, exhibit in zip(contents.items, exhibits, strict=True):
            if exhibit["file"]:
                opened = attachments.Opened(contents.case, item, contents.blobs[item.sha256])
                _write(archive, files, exhibit["file"], attachments.chunks(cw, opened), zipfile.ZIP_STORED)
        manifest = {
            "format": FORMAT,
            "case": reference,
            "made_at": cw.now().isoformat(),
            "made_by": actor.username,
            "recipient": recipient,
            "purpose": purpose,
            "protective_marking": marking,
            "algorithm": "Ed25519",
            "public_key": public,
            "files": files,
        }
        signed = orjson.dumps(manifest, option=pretty)
        archive.writestr(MANIFEST, signed)
        archive.writestr(SIGNATURE, base64.b64encode(key.sign(signed)) + b"\n")
    return Package(reference, files, public)


def _disclose(cw: Casework, actor: Actor, reference: str, recipient: str, purpose: str) -> _Contents:
    """Record the disclosure and read what goes in; the history then includes that disclosure."""
    with cw.uow() as uow:
        s = uow.session
        case = case_in_force(s, actor, reference)
        comment = s.get(Comment, case.id)
        assert comment is not None and case.id is not None  # every stored case has its comment
        items = list(
            s.execute(
                select(Attachment).where(col(Attachment.case_id) == case.id).order_by(col(Attachment.id))
            ).scalars()
        )
        digests = {i.sha256 for i in items}
        blobs = {
            b.sha256: b for b in s.execute(select(EvidenceBlob).where(col(EvidenceBlob.sha256).in_(digests))).scalars()
        }
        contents = _Contents(case, exports.case_record(case, comment, s.get(CaseRetention, case.id)), items, blobs)
        disclosure.record_export(
            uow,
            cw,
            actor,
            case=(case.id, case.state),
            scope={"scope": "case", "reference": reference, "attachments": len(items)},
            fmt="evidence_package",
            recipient=recipient,
            purpose=purpose,
            cases=1,
        )
        uow.commit()
    with cw.reader() as uow:
        rows = uow.session.execute(
            select(CaseEvent).where(col(CaseEvent.case_id) == case.id).order_by(col(CaseEvent.seq))
        ).scalars()
        contents.events = [exports.event_record(e) for e in rows]
    return contents


def _exhibit(item: Attachment, blob: EvidenceBlob) -> dict[str, Any]:
    gone_at = item.redacted_at or blob.removed_at
    return {
        "exhibit": item.exhibit,
        "producer": item.producer,
        "producer_name": item.producer_name,
        "time_utc": item.added_at.isoformat(),
        "time_london": london(item.added_at).strftime("%d %b %Y %H:%M:%S %Z"),
        "sha256": item.sha256,
        "size": item.size,
        "media_type": item.media_type,
        "description": item.description,
        "file": None if gone_at else exhibit_file(item),
        "redacted_at": gone_at.isoformat() if gone_at else None,
    }


def _exhibits_csv(exhibits: list[dict[str, Any]], marking: str) -> bytes:
    """The exhibit list for people: headings in words, the marking on every row, values as recorded.

    Descriptions and file names are typed by people, so they pass the spreadsheet formula guard.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("Protective marking", *EXHIBIT_HEADINGS))
    writer.writerows((marking, *(_as_text(x[c]) for c in EXHIBIT_COLUMNS)) for x in exhibits)
    return buffer.getvalue().encode("utf-8")


def _as_text(value: Any) -> Any:
    return spreadsheet_text(value) if isinstance(value, str) else value


def _write(
    archive: zipfile.ZipFile,
    files: dict[str, dict[str, Any]],
    name: str,
    pieces: Iterable[bytes],
    compression: int = zipfile.ZIP_DEFLATED,
) -> None:
    """Write one file into the package, hashing it on the way."""
    sha, size = hashlib.sha256(), 0
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = compression
    with archive.open(info, "w", force_zip64=True) as entry:
        for piece in pieces:
            sha.update(piece)
            size += len(piece)
            entry.write(piece)
    files[name] = {"sha256": sha.hexdigest(), "size": size}
