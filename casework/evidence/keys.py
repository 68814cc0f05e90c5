"""The instance's Ed25519 signing key for evidence packages: made once by `casework init`, kept mode 0600."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from casework.errors import CaseworkError, ValidationError


class KeyMissing(CaseworkError):
    http_status = 503
    exit_code = 8
    title = "Signing key missing"


def ensure_key(path: str | Path) -> tuple[Path, bool]:
    """Create the key file if there is none (readable by its owner only); True when it was created."""
    path = Path(path)
    if path.exists():
        load_key(path)
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another `init` made it meanwhile
        load_key(path)
        return path, False
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return path, True


def load_key(path: str | Path) -> Ed25519PrivateKey:
    path = Path(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise KeyMissing(
            f"no evidence signing key at {path}: run `casework init` (or set CASEWORK_EVIDENCE_KEY_FILE)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ValidationError(
            {"CASEWORK_EVIDENCE_KEY_FILE": f"{path}: not a readable PEM private key ({exc})"}
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationError({"CASEWORK_EVIDENCE_KEY_FILE": f"{path}: not an Ed25519 key"})
    if path.stat().st_mode & 0o077:
        raise ValidationError({"CASEWORK_EVIDENCE_KEY_FILE": f"{path}: others may read it; chmod 600"})
    return key


def public_text(key: Ed25519PublicKey) -> str:
    """The public key as base64 of its 32 raw bytes: what a recipient compares and passes to `verify --key`."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def fingerprint(public: str) -> str:
    """A short name for a public key, to read out over the phone: SHA-256 of the raw key, in groups."""
    digest = hashlib.sha256(base64.b64decode(public)).hexdigest()[:20]
    return ":".join(digest[i : i + 4] for i in range(0, 20, 4))


def parse_public(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise ValidationError({"key": "an Ed25519 public key as base64 of its 32 bytes"}) from None


def signature_ok(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True
