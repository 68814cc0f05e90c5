"""Attachments: adding an exhibit to a case, listing them, and opening one (each opening a consultation).

The upload is read and checked in full before the transaction opens; the blob, the attachment and its
`attachment_added` event (who, when, description, digest) then commit together or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from sqlalchemy import func, select
from sqlmodel import col

from casework.access.actors import Actor
from casework.cases.queries import case_in_force
from casework.errors import NotFound, PermissionDenied, ValidationError
from casework.evidence import store, thumbs
from casework.evidence.errors import Redacted
from casework.evidence.tables import Attachment, EvidenceBlob
from casework.storage.tables import Case

if TYPE_CHECKING:
    from casework.runtime import Casework

ADDERS = frozenset({"channel_admin", "crime_bureau", "comms", "supervisor", "system"})
MAX_DESCRIPTION = 2000
VIA = ("web", "api", "cli", "capture")


@dataclass(frozen=True)
class Opened:
    """An attachment someone may read now, with the case it belongs to."""

    case: Case
    attachment: Attachment
    blob: EvidenceBlob


def require_adder(actor: Actor) -> None:
    if not actor.roles & ADDERS:
        raise PermissionDenied("attachments are added by channel admins, Crime Bureau, Comms and supervisors")


def clean_description(description: str | None) -> str:
    text = (description or "").strip()
    if len(text) > MAX_DESCRIPTION or "\x00" in text:
        raise ValidationError({"description": f"at most {MAX_DESCRIPTION} characters"})
    return text


def clean_filename(filename: str | None) -> str:
    """The name as given, for the record only (never used as a path or to decide the type)."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:255] or "upload"


def initials(actor: Actor) -> str:
    """The producer's part of an exhibit reference: initials of the display name (`JS` in JS/1)."""
    if actor.is_system:
        return actor.username.split(":", 1)[-1][:3].upper() or "SYS"
    words = re.findall(r"[A-Za-z]+", actor.display_name or actor.username)
    return "".join(w[0] for w in words).upper()[:6] or "X"


def receive_upload(
    cw: Casework,
    stream: IO[bytes],
    *,
    filename: str | None,
    declared_type: str | None = None,
    expected_size: int | None = None,
) -> store.Received:
    """Read and check an upload in full, before any transaction; the caller closes what it returns."""
    return store.receive(
        stream,
        max_bytes=cw.settings.evidence_max_bytes,
        filename=clean_filename(filename),
        declared=declared_type,
        expected=expected_size,
    )


def add_attachment(
    cw: Casework,
    actor: Actor,
    reference: str,
    stream: IO[bytes],
    *,
    filename: str | None,
    description: str | None = None,
    declared_type: str | None = None,
    expected_size: int | None = None,
    via: str = "web",
) -> Attachment:
    """Check who adds to which case, then read and check the bytes, then store them with their event."""
    require_adder(actor)
    text = clean_description(description)
    with cw.reader() as uow:
        case_in_force(uow.session, actor, reference)  # refuse before reading a byte
    received = receive_upload(cw, stream, filename=filename, declared_type=declared_type, expected_size=expected_size)
    try:
        return attach(cw, actor, reference, received, filename=filename, description=text, via=via)
    finally:
        received.close()


def attach(
    cw: Casework,
    actor: Actor,
    reference: str,
    received: store.Received,
    *,
    filename: str | None,
    description: str | None,
    via: str,
) -> Attachment:
    """Store a checked upload on a case: blob (once per digest), attachment and event in one transaction."""
    require_adder(actor)
    if via not in VIA:
        raise ValidationError({"via": f"one of {', '.join(VIA)}"})
    name, text = clean_filename(filename), clean_description(description)
    thumbnail = thumbs.make_thumbnail(received.spool, received.media_type)
    with cw.uow() as uow:
        s = uow.session
        case = case_in_force(s, actor, reference)
        s.execute(select(col(Case.id)).where(col(Case.id) == case.id).with_for_update())  # exhibit numbers in order
        mark = initials(actor)
        count = s.execute(
            select(func.count())
            .select_from(Attachment)
            .where(col(Attachment.case_id) == case.id, col(Attachment.exhibit).startswith(f"{mark}/"))
        ).scalar_one()
        at = cw.now()
        created = store.save_blob(s, received, at)
        assert case.id is not None  # a stored case
        attachment = Attachment(
            case_id=case.id,
            sha256=received.sha256,
            size=received.size,
            media_type=received.media_type,
            filename=name,
            description=text,
            producer=actor.username,
            producer_name=actor.display_name or actor.username,
            exhibit=f"{mark}/{count + 1}",
            added_at=at,
            thumbnail=thumbnail,
        )
        s.add(attachment)
        s.flush()
        uow.record(
            "attachment_added",
            at=at,
            actor=actor.username,
            role=actor.role_for(ADDERS),
            case=case,
            from_state=case.state,
            to_state=case.state,
            data={
                "attachment": attachment.id,
                "exhibit": attachment.exhibit,
                "sha256": received.sha256,
                "size": received.size,
                "media_type": received.media_type,
                "filename": name,
                "description": text,
                "new_blob": created,
                "via": via,
            },
        )
        uow.commit()
        return attachment


def list_attachments(cw: Casework, actor: Actor, reference: str) -> tuple[Case, list[Attachment]]:
    """The case's exhibits in the order they were added (the caller logs the consultation of the case)."""
    with cw.reader() as uow:
        case = case_in_force(uow.session, actor, reference)
        rows = uow.session.execute(
            select(Attachment).where(col(Attachment.case_id) == case.id).order_by(col(Attachment.id))
        ).scalars()
        return case, list(rows)


def open_attachment(cw: Casework, actor: Actor, reference: str, attachment_id: int, via: str, what: str) -> Opened:
    """One attachment, with the consultation recorded before any byte is sent (DPA 2018 s.62)."""
    if via not in VIA or what not in ("download", "thumbnail", "details"):
        raise ValidationError({"via": "unknown channel"})
    with cw.uow() as uow:
        case = case_in_force(uow.session, actor, reference)
        attachment = uow.session.get(Attachment, attachment_id)
        if attachment is None or attachment.case_id != case.id:
            raise NotFound(f"case {reference} has no attachment {attachment_id}")
        blob = uow.session.get(EvidenceBlob, attachment.sha256)
        assert blob is not None  # the foreign key
        uow.record(
            "viewed",
            at=cw.now(),
            actor=actor.username,
            role=actor.role_label,
            case=case,
            from_state=case.state,
            to_state=case.state,
            data={
                "reference": case.reference,
                "via": via,
                "attachment": attachment.id,
                "exhibit": attachment.exhibit,
                "sha256": attachment.sha256,
                "what": what,
            },
        )
        uow.commit()
        return Opened(case, attachment, blob)


def chunks(cw: Casework, opened: Opened) -> Iterator[bytes]:
    """The attachment's bytes, one chunk row per read, so a download holds one MiB at a time."""
    if opened.attachment.redacted_at is not None or opened.blob.removed_at is not None:
        raise Redacted(f"exhibit {opened.attachment.exhibit} was redacted; its digest is kept")
    return _read(cw, opened)


def _read(cw: Casework, opened: Opened) -> Iterator[bytes]:
    for n in range(opened.blob.chunks):
        with cw.reader() as uow:
            piece = store.read_chunk(uow.session, opened.blob.sha256, n)
        if piece is None:
            raise Redacted(f"exhibit {opened.attachment.exhibit} was redacted while it was read")
        yield piece
