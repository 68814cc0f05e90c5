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
    secret_key: str = "dev-only-secret-change-me"
    oidc: OidcSettings | None = None
    local_login: bool = True  # CASEWORK_LOCAL_LOGIN=off: only break-glass users may use a password

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        source: Mapping[str, str] = os.environ if env is None else env
        settings = cls()
        if url := source.get("CASEWORK_DATABASE_URL"):
            settings = replace(settings, database_url=url)
        if key := source.get("CASEWORK_SECRET_KEY"):
            settings = replace(settings, secret_key=key)
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
