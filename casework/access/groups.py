"""The claims mapping: which casework roles and forces each group (or app role) of the identity provider grants.

A TOML file (`CASEWORK_OIDC_GROUPS_FILE`), checked whole at start-up so a typo never grants or drops access
silently:

    claim = "groups"                      # the ID-token claim that carries the values (Entra: groups or roles)
    [groups]
    "sg-wk-crime-bureau" = { roles = ["crime_bureau"], forces = ["warwickshire"] }

A user gets the union of the roles and the union of the forces of every value they present.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casework.access.users import HUMAN_ROLES
from casework.errors import ValidationError

_CLAIM = re.compile(r"^[A-Za-z0-9_.:/-]{1,100}$")
MAX_VALUES = 1000  # values presented beyond this are ignored (Entra sends at most 200 groups in a token)


@dataclass(frozen=True)
class Grant:
    roles: frozenset[str]
    forces: frozenset[str]


@dataclass(frozen=True)
class GroupMapping:
    claim: str
    grants: Mapping[str, Grant]

    def values_in(self, claims: Mapping[str, Any]) -> list[str]:
        """The claim's string values (a list, or one string), in the order given."""
        raw = claims.get(self.claim)
        values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        return [v for v in values[:MAX_VALUES] if isinstance(v, str)]

    def grant_for(self, values: Iterable[str]) -> Grant:
        """Everything the presented values grant together; unknown values grant nothing."""
        matched = [self.grants[v] for v in values if v in self.grants]
        return Grant(
            frozenset().union(*(g.roles for g in matched)),
            frozenset().union(*(g.forces for g in matched)),
        )


def load_mapping(path: Path, forces: Iterable[str]) -> GroupMapping:
    """Read and check the mapping file against the known roles and forces."""
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError({"oidc_groups_file": f"{where}: {exc}"}) from exc
    claim = data.get("claim", "groups")
    if not isinstance(claim, str) or not _CLAIM.match(claim):
        raise ValidationError({"oidc_groups_file": f'{where}: claim must name one claim, e.g. "groups"'})
    unknown = sorted(set(data) - {"claim", "groups"})
    if unknown:
        raise ValidationError({"oidc_groups_file": f"{where}: unknown keys {', '.join(unknown)}"})
    tables = data.get("groups")
    if not isinstance(tables, dict) or not tables:
        raise ValidationError({"oidc_groups_file": f"{where}: needs a [groups] table with at least one group"})
    known_forces = set(forces)
    grants = {value: _grant(f"{where}: groups.{value!r}", table, known_forces) for value, table in tables.items()}
    return GroupMapping(claim, grants)


def _grant(where: str, table: Any, known_forces: set[str]) -> Grant:
    if not isinstance(table, dict) or set(table) - {"roles", "forces"}:
        raise ValidationError({"oidc_groups_file": f"{where}: a table of roles = [...] and forces = [...]"})
    roles, forces = table.get("roles", []), table.get("forces", [])
    for name, values, allowed in (("roles", roles, set(HUMAN_ROLES)), ("forces", forces, known_forces)):
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValidationError({"oidc_groups_file": f"{where}.{name}: a list of names"})
        bad = sorted(set(values) - allowed)
        if bad:
            choices = ", ".join(sorted(allowed))
            raise ValidationError(
                {"oidc_groups_file": f"{where}.{name}: unknown {', '.join(bad)}; choose from {choices}"}
            )
    if not roles and not forces:
        raise ValidationError({"oidc_groups_file": f"{where}: grants neither roles nor forces"})
    return Grant(frozenset(roles), frozenset(forces))
