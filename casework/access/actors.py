"""Who acts: a signed-in user or a named machine part, with the roles and forces it holds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from casework.storage.tables import User


@dataclass(frozen=True)
class Actor:
    id: int | None
    username: str
    roles: frozenset[str]
    forces: frozenset[str]
    display_name: str = ""

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.username, frozenset(user.roles), frozenset(user.forces), user.display_name)

    @classmethod
    def system(cls, part: str, forces: Iterable[str]) -> Actor:
        """A machine actor, always named as such in the history (e.g. `system:sla`)."""
        return cls(None, f"system:{part}", frozenset({"system"}), frozenset(forces), f"System ({part})")

    @property
    def is_system(self) -> bool:
        return self.id is None

    def in_force(self, force: str) -> bool:
        return force in self.forces

    @property
    def role_label(self) -> str | None:
        """All of the actor's roles, for events not done under one particular role."""
        return ",".join(sorted(self.roles))[:40] or None

    def role_for(self, allowed: frozenset[str] | set[str]) -> str | None:
        """The role under which this actor does something that `allowed` roles may do."""
        return next((r for r in sorted(self.roles) if r in allowed), None)
