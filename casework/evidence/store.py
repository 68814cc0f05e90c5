"""Blob storage: receive an upload into a spool while hashing and checking it, then write it as chunk rows.

The bytes go to the database, not the file system, so an attachment and its audit event commit in one
transaction or not at all, and backups hold both. Chunk rows (1 MiB of `bytea` / BLOB each) work the
same on SQLite and PostgreSQL; PostgreSQL large objects would not exist on SQLite, would need their
own clean-up (`lo_unlink`) and are outside ordinary dumps' table data. Reading and writing a row at a
time keeps memory flat whatever the file's size.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from casework.evidence import sniff
from casework.evidence.errors import IncompleteUpload, SuspectFile, TooLarge
from casework.evidence.tables import CHUNK_BYTES, EvidenceBlob, EvidenceChunk
from casework.storage.tables import table_of

READ_BYTES = 64 * 1024
_blobs = table_of(EvidenceBlob)
_chunks = table_of(EvidenceChunk)


@dataclass
class Received:
    """An upload, complete and checked, in a temporary file that goes away when closed."""

    spool: IO[bytes]
    sha256: str
    size: int
    media_type: str

    def pieces(self, size: int = CHUNK_BYTES) -> Iterator[bytes]:
        self.spool.seek(0)
        while piece := self.spool.read(size):
            yield piece

    def close(self) -> None:
        self.spool.close()


def receive(
    stream: IO[bytes], *, max_bytes: int, filename: str, declared: str | None, expected: int | None = None
) -> Received:
    """Read the whole upload (to a temporary file), refusing it as soon as it is too large or proves bad."""
    spool = tempfile.TemporaryFile(prefix="casework-upload-")  # noqa: SIM115  (closed by Received.close)
    try:
        sha, size, head = hashlib.sha256(), 0, b""
        while piece := stream.read(READ_BYTES):
            size += len(piece)
            if size > max_bytes:
                raise TooLarge(f"attachments are limited to {max_bytes / 1024 / 1024:g} MB")
            if len(head) < sniff.HEAD_BYTES:
                head += piece[: sniff.HEAD_BYTES - len(head)]
            sha.update(piece)
            spool.write(piece)
        if expected is not None and size != expected:
            raise IncompleteUpload()
        if size == 0:
            raise SuspectFile("the file is empty")
        media_type = sniff.sniff(head)
        sniff.check_claims(media_type, filename, declared)
        sniff.check_structure(media_type, spool)
        return Received(spool, sha.hexdigest(), size, media_type)
    except BaseException:
        spool.close()
        raise


def receive_trusted(data: bytes, media_type: str) -> Received:
    """A file made by casework itself (a page capture's WARC): typed by its maker, not sniffed."""
    spool = tempfile.TemporaryFile(prefix="casework-capture-")  # noqa: SIM115  (closed by Received.close)
    spool.write(data)
    return Received(spool, hashlib.sha256(data).hexdigest(), len(data), media_type)


def save_blob(session: Session, received: Received, at: datetime) -> bool:
    """Store the bytes once per digest, in the caller's transaction; False when they were stored already."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    chunks = -(-received.size // CHUNK_BYTES)
    values = {
        "sha256": received.sha256,
        "size": received.size,
        "media_type": received.media_type,
        "chunks": chunks,
        "stored_at": at,
    }
    inserted = insert(_blobs).values(values).on_conflict_do_nothing().returning(_blobs.c.sha256)
    created = session.execute(inserted).scalar() is not None
    if not created:
        restored = session.execute(
            update(_blobs)
            .where(_blobs.c.sha256 == received.sha256, _blobs.c.removed_at.is_not(None))
            .values(removed_at=None, stored_at=at)
            .returning(_blobs.c.sha256)
        ).scalar()
        if restored is None:
            return False  # the same bytes are stored already: one blob, cited again
    for n, piece in enumerate(received.pieces()):
        session.execute(_chunks.insert().values(sha256=received.sha256, n=n, data=piece))
    return created


def read_chunk(session: Session, sha256: str, n: int) -> bytes | None:
    return session.execute(select(_chunks.c.data).where(_chunks.c.sha256 == sha256, _chunks.c.n == n)).scalar()


def remove_bytes(session: Session, sha256: str, at: datetime) -> None:
    """Redaction: drop the chunks, keep the blob row (digest, size, type) with the time they went."""
    session.execute(_chunks.delete().where(_chunks.c.sha256 == sha256))
    session.execute(update(_blobs).where(_blobs.c.sha256 == sha256).values(removed_at=at))
