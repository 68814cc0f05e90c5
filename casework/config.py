"""Settings: defaults in code, overrides from CASEWORK_* environment variables and a forces file."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from casework.errors import ValidationError

DEFAULT_DATABASE_URL = "sqlite:///instance/casework.db"
SECRET_FILE = "secret_key"  # in the instance folder, written by `casework init` (casework.access.secret_key)
DEFAULT_NOTICE = (
    "This system is for authorised users only. Access or use without authority, or beyond it, is an "
    "offence under the Computer Misuse Act 1990; activity is logged and may be monitored."
)


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
    # No default: every instance signs with its own secret (env, or the instance file `casework init` writes).
    secret_key: str | None = None
    instance_path: Path = Path("instance")
    session_idle: timedelta = timedelta(minutes=30)
    session_max: timedelta = timedelta(hours=10)
    signin_notice: str = DEFAULT_NOTICE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        source: Mapping[str, str] = os.environ if env is None else env
        settings = cls()
        if url := source.get("CASEWORK_DATABASE_URL"):
            settings = replace(settings, database_url=url)
        if path := source.get("CASEWORK_INSTANCE_PATH"):
            settings = replace(settings, instance_path=Path(path))
        key = source.get("CASEWORK_SECRET_KEY") or _read_secret(settings.instance_path / SECRET_FILE)
        settings = replace(settings, secret_key=key)
        if raw := source.get("CASEWORK_SESSION_IDLE_MINUTES"):
            settings = replace(settings, session_idle=timedelta(minutes=_number("CASEWORK_SESSION_IDLE_MINUTES", raw)))
        if raw := source.get("CASEWORK_SESSION_MAX_HOURS"):
            settings = replace(settings, session_max=timedelta(hours=_number("CASEWORK_SESSION_MAX_HOURS", raw)))
        if notice := source.get("CASEWORK_SIGNIN_NOTICE"):
            settings = replace(settings, signin_notice=notice.strip())
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


def _read_secret(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def _number(name: str, raw: str) -> float:
    """A positive number of minutes or hours, up to a week's worth."""
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 10_080:
        raise ValidationError({name: f"a positive number, not {raw!r}"})
    return value


_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_PREFIX = re.compile(r"^[A-Z]{2,4}$")


def load_forces(path: Path) -> dict[str, ForceConfig]:
    """Read `[forces.<code>]` tables from a TOML file, refusing anything malformed (every problem at once)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError({"forces_file": f"{path}: {exc}"}) from exc
    tables = data.get("forces")
    if not isinstance(tables, dict) or not tables:
        raise ValidationError({"forces_file": f"{path}: needs at least one [forces.<code>] table"})
    errors: dict[str, str] = {}
    forces: dict[str, ForceConfig] = {}
    prefixes: dict[str, str] = {}
    for code, table in tables.items():
        force = _force(path, code, table, errors)
        if force is None:
            continue
        if force.prefix in prefixes:
            errors[f"forces.{code}.prefix"] = (
                f"{path}: forces.{code}.prefix: {force.prefix} is used by forces.{prefixes[force.prefix]} too"
            )
        prefixes.setdefault(force.prefix, code)
        forces[code] = force
    if errors:
        raise ValidationError(errors, f"{path}: " + "; ".join(errors))
    return forces


def _force(path: Path, code: str, table: Any, errors: dict[str, str]) -> ForceConfig | None:
    """One force's table; each bad field is added to `errors` as "<file>: forces.<code>.<field>: what"."""
    where, before = f"forces.{code}", len(errors)

    def bad(name: str, problem: str) -> None:
        errors[f"{where}.{name}" if name else where] = f"{path}: {where}{'.' + name if name else ''}: {problem}"

    if not _CODE.match(code):
        bad("", "the code must be 2-40 lower-case letters, digits and _, starting with a letter")
    if not isinstance(table, dict):
        bad("", "must be a table")
        return None
    name, prefix, nchi = table.get("name"), table.get("prefix"), table.get("nchi_enabled", True)
    if not isinstance(name, str) or not name.strip():
        bad("name", "required text")
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        bad("prefix", "2-4 capital letters")
    if not isinstance(nchi, bool):
        bad("nchi_enabled", "true or false")
    if len(errors) > before or not isinstance(name, str) or not isinstance(prefix, str):
        return None
    extra = {k: v for k, v in table.items() if k not in {"name", "prefix", "nchi_enabled"}}
    return ForceConfig(code, name.strip(), prefix, nchi, extra)
