"""Checking an evidence package offline: the manifest's signature, then every file against its digest."""

from __future__ import annotations

import base64
import binascii
import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from casework.errors import ValidationError
from casework.evidence import keys
from casework.evidence.package import MANIFEST, SIGNATURE

READ_BYTES = 1024 * 1024


@dataclass
class PackageCheck:
    public_key: str | None = None
    key_source: str = ""
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_package(path: str | Path, public_key: str | None = None) -> PackageCheck:
    """Every problem found: a bad signature, and each changed, added or missing file by name."""
    check = PackageCheck()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ValidationError({"file": f"{path}: not a readable ZIP ({exc})"}) from None
    with archive:
        names = {info.filename for info in archive.infolist() if not info.is_dir()}
        if MANIFEST not in names or SIGNATURE not in names:
            check.problems.append(f"missing: {MANIFEST if MANIFEST not in names else SIGNATURE}")
            return check
        manifest_bytes = archive.read(MANIFEST)
        try:
            manifest = orjson.loads(manifest_bytes)
            signature = base64.b64decode(archive.read(SIGNATURE).strip(), validate=True)
            listed: dict[str, dict[str, object]] = manifest["files"]
        except (orjson.JSONDecodeError, binascii.Error, KeyError, TypeError):
            check.problems.append(f"changed: {MANIFEST} or {SIGNATURE} is malformed")
            return check
        embedded = manifest.get("public_key")
        check.public_key, check.key_source = (public_key, "given") if public_key else (embedded, "in the package")
        if not isinstance(check.public_key, str) or not keys.signature_ok(
            keys.parse_public(check.public_key), signature, manifest_bytes
        ):
            check.problems.append(
                f"changed: {MANIFEST} (its signature does not verify with the {check.key_source} key)"
            )
        for name in sorted(names - {MANIFEST, SIGNATURE}):
            if name not in listed:
                check.problems.append(f"added: {name}")
                continue
            sha = hashlib.sha256()
            with archive.open(name) as entry:
                while piece := entry.read(READ_BYTES):
                    sha.update(piece)
            check.files += 1
            if sha.hexdigest() != listed[name].get("sha256"):
                check.problems.append(f"changed: {name}")
        check.problems += [f"missing: {name}" for name in sorted(set(listed) - names)]
    return check
