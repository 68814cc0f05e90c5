"""Just-in-time users from the identity provider: each sign-in creates or updates the user from its claims.

The provider's `sub` (with its issuer) is the stable key: names and e-mail addresses change, `sub` never
does, so the casework username is derived from it and the person is shown by their display name. Every
change is an audit event by `system:sso`; claims that map to no role or no force are refused, and the
refusal is an audit event too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col

from casework.access import sessions
from casework.access.groups import GroupMapping
from casework.errors import PermissionDenied
from casework.runtime import Casework
from casework.storage.db import UTCDateTime
from casework.storage.tables import User
from casework.storage.uow import UnitOfWork

ACTOR = "system:sso"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SsoIdentity(SQLModel, table=True):
    """The provider's identity (issuer + subject) of one casework user."""

    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sso_identities_issuer_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True, index=True)
    issuer: str = Field(max_length=255)
    subject: str = Field(max_length=255)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_sign_in_at: datetime = Field(sa_type=UTCDateTime)


class SignInRefused(PermissionDenied):
    """The provider vouched for the person, but casework grants them nothing (or they are deactivated)."""

    title = "Sign-in refused"


@dataclass(frozen=True)
class Person:
    """What casework takes from a verified ID token."""

    issuer: str
    subject: str
    display_name: str
    email: str | None
    values: tuple[str, ...]

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], mapping: GroupMapping) -> Person:
        subject, issuer = str(claims["sub"]), str(claims["iss"])
        if len(subject) > 255 or len(issuer) > 255:  # OpenID Connect allows at most 255 characters for sub
            raise SignInRefused("the identity provider sent an identifier longer than 255 characters")
        name = next((claims[k] for k in ("name", "preferred_username", "email") if isinstance(claims.get(k), str)), "")
        email = claims.get("email")
        return cls(
            issuer=issuer,
            subject=subject,
            display_name=(name.strip() or subject)[:200],
            email=email if isinstance(email, str) and len(email) <= 254 and _EMAIL.match(email) else None,
            values=tuple(mapping.values_in(claims)),
        )

    @property
    def username(self) -> str:
        """Stable and unique per issuer + subject, within the username rules (the subject may be any text)."""
        return "sso." + hashlib.sha256(f"{self.issuer}\n{self.subject}".encode()).hexdigest()[:24]


def sign_in_person(cw: Casework, person: Person, mapping: GroupMapping) -> User:
    """Create or update the user for this person, or refuse them; one transaction either way."""
    try:
        return _sync(cw, person, mapping)
    except IntegrityError:  # the same person's first sign-in in two tabs at once: the other one created them
        return _sync(cw, person, mapping)


def _sync(cw: Casework, person: Person, mapping: GroupMapping) -> User:
    grant = mapping.grant_for(person.values)
    now = cw.now()
    with cw.uow() as uow:
        found = uow.session.execute(
            select(SsoIdentity, User)
            .join(User, col(User.id) == col(SsoIdentity.user_id))
            .where(col(SsoIdentity.issuer) == person.issuer, col(SsoIdentity.subject) == person.subject)
        ).one_or_none()
        reason = _refusal(grant.roles, grant.forces, found[1] if found else None)
        if reason:
            _refuse(uow, person, reason, now)
        roles, forces = sorted(grant.roles), sorted(grant.forces)
        if found is None:
            user = _create(uow, person, roles, forces, now)
        else:
            identity, user = found
            identity.last_sign_in_at = now
            uow.session.add(identity)
            _update(uow, user, person, roles, forces, now)
        uow.commit()
        return user


def _refusal(roles: frozenset[str], forces: frozenset[str], user: User | None) -> str | None:
    if user is not None and not user.active:
        return "this account is deactivated in casework"
    if not roles:
        return "none of your groups at the identity provider grants a casework role"
    if not forces:
        return "none of your groups at the identity provider grants a force"
    return None


def _refuse(uow: UnitOfWork, person: Person, reason: str, now: datetime) -> None:
    """Record the refusal (in its own commit) and raise it."""
    uow.record(
        "sso_refused",
        at=now,
        actor=ACTOR,
        role="system",
        data={
            "issuer": person.issuer,
            "subject": person.subject,
            "username": person.username,
            "display_name": person.display_name,
            "groups": [value[:200] for value in person.values[:50]],
            "reason": reason,
        },
    )
    uow.commit()
    raise SignInRefused(reason)


def _create(uow: UnitOfWork, person: Person, roles: list[str], forces: list[str], now: datetime) -> User:
    user = User(
        username=person.username,
        display_name=person.display_name,
        email=person.email,
        roles=roles,
        forces=forces,
        created_at=now,
    )
    uow.session.add(user)
    uow.session.flush()
    assert user.id is not None  # flushed above
    uow.session.add(
        SsoIdentity(user_id=user.id, issuer=person.issuer, subject=person.subject, created_at=now, last_sign_in_at=now)
    )
    uow.record(
        "user_added",
        at=now,
        actor=ACTOR,
        role="system",
        data={
            "username": user.username,
            "display_name": user.display_name,
            "roles": roles,
            "forces": forces,
            "issuer": person.issuer,
            "subject": person.subject,
        },
    )
    return user


def _update(uow: UnitOfWork, user: User, person: Person, roles: list[str], forces: list[str], now: datetime) -> None:
    if (user.roles, user.forces) != (roles, forces):
        roles_changed(uow, user, roles, forces, now)
    changes = {
        name: [old, new]
        for name, old, new in (
            ("display_name", user.display_name, person.display_name),
            ("email", user.email, person.email),
        )
        if old != new
    }
    if changes:
        user.display_name, user.email = person.display_name, person.email
        uow.session.add(user)
        uow.record(
            "user_updated", at=now, actor=ACTOR, role="system", data={"username": user.username, "changes": changes}
        )


def roles_changed(uow: UnitOfWork, user: User, roles: list[str], forces: list[str], now: datetime) -> None:
    """Give the user the roles and forces their groups now grant, as an audit event in the sign-in's transaction.

    The one place where the provider changes what a user may do: the user's sessions that started
    before this sign-in end here, as `users update` ends them.
    """
    before = {"roles": user.roles, "forces": user.forces}
    user.roles, user.forces = roles, forces
    uow.session.add(user)
    uow.record(
        "user_roles_changed",
        at=now,
        actor=ACTOR,
        role="system",
        data={"username": user.username, "before": before, "after": {"roles": roles, "forces": forces}},
    )
    assert user.id is not None  # an existing user: new ones get their roles when created
    sessions.end_sessions(uow, user.id, "roles or forces changed at single sign-on", now, actor=ACTOR)
