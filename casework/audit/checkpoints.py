"""Signed checkpoints of the audit chain: proof, kept outside the system, that no event was changed or cut off.

The signature is HMAC-SHA256 over the canonical JSON of the checkpoint, with a secret from
`CASEWORK_CHECKPOINT_KEY` (at least 32 characters) that the auditors hold, not the application's
operators. Whoever has the key can check a checkpoint file with `casework audit verify --checkpoint FILE`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from sqlmodel import col

from casework.audit import verify as audit
from casework.audit.tables import Checkpoint
from casework.errors import CaseworkError, ValidationError
from casework.storage import chain
from casework.storage.tables import CaseEvent

if TYPE_CHECKING:
    from casework.runtime import Casework

ALGORITHM = "HMAC-SHA256"
KEY_ENV = "CASEWORK_CHECKPOINT_KEY"
MIN_KEY = 32
FORMAT = 1
_FIELDS = {
    "casework_checkpoint": int,
    "seq": int,
    "hash": str,
    "event_count": int,
    "created_at": str,
    "created_by": str,
    "algorithm": str,
    "signature": str,
}


class ChainBroken(CaseworkError):
    title = "Audit chain broken"


def checkpoint_key(env: dict[str, str] | None = None) -> bytes:
    """The signing key from the environment; refused when missing or short."""
    key = (os.environ if env is None else env).get(KEY_ENV, "")
    if len(key) < MIN_KEY:
        raise ValidationError({KEY_ENV: f"set a secret of at least {MIN_KEY} characters to sign or check checkpoints"})
    return key.encode("utf-8")


def sign(document: dict[str, Any], key: bytes) -> str:
    body = {k: v for k, v in document.items() if k != "signature"}
    return hmac.new(key, chain.canonical(body), hashlib.sha256).hexdigest()


def make_checkpoint(cw: Casework, key: bytes, created_by: str = "system:cli") -> dict[str, Any]:
    """Verify the chain, sign its head, and record the checkpoint (row and event); returns the document."""
    with cw.reader() as uow:
        verified = audit.verify(uow.session, workflow=cw.workflow)
    if not verified.ok:
        raise ChainBroken(f"refusing to sign a broken chain: {verified.describe()}")
    now = cw.now()
    document: dict[str, Any] = {
        "casework_checkpoint": FORMAT,
        "seq": verified.count,
        "hash": verified.head_hash,
        "event_count": verified.count,
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "created_by": created_by,
        "algorithm": ALGORITHM,
    }
    signature = document["signature"] = sign(document, key)
    with cw.uow() as uow:
        uow.session.add(
            Checkpoint(
                seq=verified.count,
                hash=verified.head_hash,
                event_count=verified.count,
                created_at=now,
                created_by=created_by,
                algorithm=ALGORITHM,
                signature=signature,
            )
        )
        uow.record(
            "checkpoint",
            at=now,
            actor=created_by,
            role="system",
            data={k: document[k] for k in ("seq", "hash", "event_count", "signature")},
        )
        uow.commit()
    return document


@dataclass(frozen=True)
class CheckpointCheck:
    ok: bool
    message: str


def verify_checkpoint(cw: Casework, raw: bytes, key: bytes) -> CheckpointCheck:
    """Signature, the whole chain, the event at the checkpoint's seq, and that the log still reaches it."""
    document, problem = parse(raw)
    if problem:
        return CheckpointCheck(False, f"not a casework checkpoint: {problem}")
    if not hmac.compare_digest(sign(document, key), document["signature"]):
        return CheckpointCheck(False, "the checkpoint's signature does not match: wrong key, or the file was altered")
    seq = document["seq"]
    with cw.reader() as uow:
        chain = audit.verify(uow.session, workflow=cw.workflow)
        at_seq = uow.session.execute(select(col(CaseEvent.hash)).where(col(CaseEvent.seq) == seq)).scalar_one_or_none()
    if not chain.ok and chain.case_reference is None:
        return CheckpointCheck(False, chain.describe())
    if chain.count < seq or (seq and at_seq is None):
        return CheckpointCheck(
            False,
            f"the log has {chain.count} events but the checkpoint of "
            f"{document['created_at']} recorded {seq}: events were cut off",
        )
    if seq and at_seq is not None and at_seq != document["hash"]:  # (seq and None) returned above
        return CheckpointCheck(
            False,
            f"event seq {seq} no longer has the hash the checkpoint recorded "
            f"({document['hash'][:12]}…, now {at_seq[:12]}…): events up to it were changed",
        )
    if not chain.ok:  # the events hold, but a case or comment row does not match them
        return CheckpointCheck(False, chain.describe())
    return CheckpointCheck(
        True,
        f"checkpoint of {document['created_at']} holds: the first {seq} events are "
        f"unchanged and the log continues to {chain.count} events",
    )


def parse(raw: bytes) -> tuple[dict[str, Any], str | None]:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return {}, f"invalid JSON ({exc})"
    if not isinstance(document, dict):
        return {}, "expected a JSON object"
    for name, kind in _FIELDS.items():
        if not isinstance(document.get(name), kind) or isinstance(document.get(name), bool):
            return {}, f"field {name!r} missing or not {kind.__name__}"
    if set(document) != set(_FIELDS):
        return {}, f"unexpected fields {', '.join(sorted(set(document) - set(_FIELDS)))}"
    if document["algorithm"] != ALGORITHM or document["casework_checkpoint"] != FORMAT or document["seq"] < 0:
        return {}, f"unsupported algorithm or format (expected {ALGORITHM}, format {FORMAT})"
    return document, None


def latest(cw: Casework) -> Checkpoint | None:
    with cw.reader() as uow:
        return uow.session.execute(select(Checkpoint).order_by(col(Checkpoint.id).desc()).limit(1)).scalar_one_or_none()


def still_matches(cw: Casework, checkpoint: Checkpoint) -> bool:
    """Whether the event at the checkpoint's seq still has its hash (a quick check without the key)."""
    with cw.reader() as uow:
        now = uow.session.execute(
            select(col(CaseEvent.hash)).where(col(CaseEvent.seq) == checkpoint.seq)
        ).scalar_one_or_none()
    return checkpoint.seq == 0 or now == checkpoint.hash
