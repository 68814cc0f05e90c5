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
DEFAULT_MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class ForceConfig:
    """One police force: the owner of channels and cases."""

    code: str
    name: str
    prefix: str
    nchi_enabled: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    marking: str = DEFAULT_MARKING  # the protective marking on everything shown, printed, exported or sent


DEFAULT_FORCES = {
    "warwickshire": ForceConfig("warwickshire", "Warwickshire Police", "WK"),
    "west_mercia": ForceConfig("west_mercia", "West Mercia Police", "WM"),
}


@dataclass(frozen=True)
class OidcSettings:
    """Single sign-on with the force's OpenID Provider (`CASEWORK_OIDC_*`)."""

    issuer: str
    client_id: str
    client_secret: str
    groups_file: Path
    scopes: str = "openid profile email"
    provider_name: str = "your force's account"
    clock_skew_seconds: int = 60
    client_key_file: Path | None = None  # a PEM private key: private_key_jwt instead of the client secret


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
    oidc: OidcSettings | None = None
    local_login: bool = True  # CASEWORK_LOCAL_LOGIN=off: only break-glass users may use a password
    evidence_max_bytes: int = 25 * 1024 * 1024  # CASEWORK_EVIDENCE_MAX_MB
    evidence_key_file: str = "instance/evidence-signing.key"  # CASEWORK_EVIDENCE_KEY_FILE
    capture: bool = False  # CASEWORK_CAPTURE=on: capture each new case's page at intake

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
        settings = _evidence_settings(settings, source)
        if path := source.get("CASEWORK_FORCES_FILE"):
            settings = replace(settings, forces=load_forces(Path(path)))
        if source.get("CASEWORK_OIDC_ISSUER"):
            settings = replace(settings, oidc=load_oidc(source))
        if source.get("CASEWORK_LOCAL_LOGIN"):
            settings = replace(settings, local_login=_switch(source, "CASEWORK_LOCAL_LOGIN"))
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
_MARKING = re.compile(r"^[A-Z][A-Z -]{1,59}$")


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
    marking = table.get("marking", DEFAULT_MARKING)
    if not isinstance(marking, str) or not _MARKING.match(marking):
        bad("marking", "2-60 capital letters, spaces or hyphens")
    if len(errors) > before or not isinstance(name, str) or not isinstance(prefix, str):
        return None
    extra = {k: v for k, v in table.items() if k not in {"name", "prefix", "nchi_enabled", "marking"}}
    return ForceConfig(code, name.strip(), prefix, nchi, extra, marking)


MAX_CLOCK_SKEW = 300  # seconds; OpenID Connect allows "a few minutes" at most


def _switch(source: Mapping[str, str], name: str) -> bool:
    value = source[name].strip().lower()
    if value not in {"on", "off", "true", "false", "1", "0", "yes", "no"}:
        raise ValidationError({name: f"on or off, not {source[name]!r}"})
    return value in {"on", "true", "1", "yes"}


def load_oidc(source: Mapping[str, str]) -> OidcSettings:
    """Read `CASEWORK_OIDC_*`; the issuer, client and groups file are required together."""
    missing = [
        f"CASEWORK_OIDC_{k}" for k in ("ISSUER", "CLIENT_ID", "GROUPS_FILE") if not source.get(f"CASEWORK_OIDC_{k}")
    ]
    if not source.get("CASEWORK_OIDC_CLIENT_SECRET") and not source.get("CASEWORK_OIDC_CLIENT_KEY_FILE"):
        missing.append("CASEWORK_OIDC_CLIENT_SECRET (or CASEWORK_OIDC_CLIENT_KEY_FILE)")
    if missing:
        raise ValidationError({"oidc": f"single sign-on also needs {', '.join(missing)}"})
    issuer = source["CASEWORK_OIDC_ISSUER"].strip()  # compared with `iss` exactly, trailing slash and all
    if not re.match(r"^https://[^/?#\s]+(/[^?#\s]*)?$", issuer) and not re.match(r"^http://127\.0\.0\.1[:/]", issuer):
        raise ValidationError({"CASEWORK_OIDC_ISSUER": "an https:// URL (http only for 127.0.0.1)"})
    scopes = source.get("CASEWORK_OIDC_SCOPES", "openid profile email").split()
    if "openid" not in scopes:
        raise ValidationError({"CASEWORK_OIDC_SCOPES": "must include openid"})
    skew = source.get("CASEWORK_OIDC_CLOCK_SKEW", "60")
    if not skew.isdigit() or int(skew) > MAX_CLOCK_SKEW:
        raise ValidationError({"CASEWORK_OIDC_CLOCK_SKEW": f"whole seconds from 0 to {MAX_CLOCK_SKEW}"})
    return OidcSettings(
        issuer=issuer,
        client_id=source["CASEWORK_OIDC_CLIENT_ID"].strip(),
        client_secret=source.get("CASEWORK_OIDC_CLIENT_SECRET", ""),
        groups_file=Path(source["CASEWORK_OIDC_GROUPS_FILE"]),
        scopes=" ".join(scopes),
        provider_name=(source.get("CASEWORK_OIDC_PROVIDER_NAME") or OidcSettings.provider_name).strip()[:60],
        clock_skew_seconds=int(skew),
        client_key_file=Path(key) if (key := source.get("CASEWORK_OIDC_CLIENT_KEY_FILE")) else None,
    )
