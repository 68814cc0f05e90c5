"""Settings: defaults in code, overrides from CASEWORK_* environment variables and a forces file."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from casework.errors import ValidationError

DEFAULT_DATABASE_URL = "sqlite:///instance/casework.db"


@dataclass(frozen=True)
class ForceConfig:
    """One police force: the owner of channels and cases."""

    code: str
    name: str
    prefix: str
    nchi_enabled: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


DEFAULT_FORCES = {
    "warwickshire": ForceConfig("warwickshire", "Warwickshire Police", "WK"),
    "west_mercia": ForceConfig("west_mercia", "West Mercia Police", "WM"),
}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    forces: dict[str, ForceConfig] = field(default_factory=lambda: dict(DEFAULT_FORCES))
    secret_key: str = "dev-only-secret-change-me"
    evidence_max_bytes: int = 25 * 1024 * 1024  # CASEWORK_EVIDENCE_MAX_MB
    evidence_key_file: str = "instance/evidence-signing.key"  # CASEWORK_EVIDENCE_KEY_FILE
    capture: bool = False  # CASEWORK_CAPTURE=on: capture each new case's page at intake

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        source: Mapping[str, str] = os.environ if env is None else env
        settings = cls()
        if url := source.get("CASEWORK_DATABASE_URL"):
            settings = replace(settings, database_url=url)
        if key := source.get("CASEWORK_SECRET_KEY"):
            settings = replace(settings, secret_key=key)
        settings = _evidence_settings(settings, source)
        if path := source.get("CASEWORK_FORCES_FILE"):
            settings = replace(settings, forces=load_forces(Path(path)))
        return replace(settings, **overrides)

    def force(self, code: str) -> ForceConfig:
        try:
            return self.forces[code]
        except KeyError:
            raise ValidationError(
                {"force": f"unknown force {code!r}; known: {', '.join(sorted(self.forces))}"}
            ) from None


def _evidence_settings(settings: Settings, source: Mapping[str, str]) -> Settings:
    """The attachment size cap, the package signing key's path, and page capture (off unless `on`)."""
    if raw := source.get("CASEWORK_EVIDENCE_MAX_MB"):
        try:
            megabytes = float(raw)
        except ValueError:
            megabytes = 0
        if not 0 < megabytes <= 2048:
            raise ValidationError({"CASEWORK_EVIDENCE_MAX_MB": f"a size in MB from 0 to 2048, not {raw!r}"})
        settings = replace(settings, evidence_max_bytes=int(megabytes * 1024 * 1024))
    if key := source.get("CASEWORK_EVIDENCE_KEY_FILE"):
        settings = replace(settings, evidence_key_file=key)
    capture = source.get("CASEWORK_CAPTURE", "off").strip().lower()
    if capture not in ("on", "off"):
        raise ValidationError({"CASEWORK_CAPTURE": f"on or off, not {capture!r}"})
    return replace(settings, capture=capture == "on")


_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_PREFIX = re.compile(r"^[A-Z]{2,4}$")


def load_forces(path: Path) -> dict[str, ForceConfig]:
    """Read `[forces.<code>]` tables from a TOML file, refusing anything malformed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError({"forces_file": f"{path}: {exc}"}) from exc
    tables = data.get("forces")
    if not isinstance(tables, dict) or not tables:
        raise ValidationError({"forces_file": f"{path}: needs at least one [forces.<code>] table"})
    forces: dict[str, ForceConfig] = {}
    prefixes: set[str] = set()
    for code, table in tables.items():
        where = f"{path}: forces.{code}"
        if not _CODE.match(code):
            raise ValidationError({"forces_file": f"{where}: code must be lower-case letters, digits and _"})
        if not isinstance(table, dict):
            raise ValidationError({"forces_file": f"{where}: must be a table"})
        name, prefix = table.get("name"), table.get("prefix")
        if not isinstance(name, str) or not name.strip():
            raise ValidationError({"forces_file": f"{where}.name: required text"})
        if not isinstance(prefix, str) or not _PREFIX.match(prefix):
            raise ValidationError({"forces_file": f"{where}.prefix: 2-4 capital letters"})
        if prefix in prefixes:
            raise ValidationError({"forces_file": f"{where}.prefix: {prefix} is used twice"})
        prefixes.add(prefix)
        nchi = table.get("nchi_enabled", True)
        if not isinstance(nchi, bool):
            raise ValidationError({"forces_file": f"{where}.nchi_enabled: true or false"})
        extra = {k: v for k, v in table.items() if k not in {"name", "prefix", "nchi_enabled"}}
        forces[code] = ForceConfig(code, name.strip(), prefix, nchi, extra)
    return forces
