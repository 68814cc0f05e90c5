"""A user's life after creation: deactivate, activate, change roles or forces, set a new password.

Each change is an audit event, and each one that takes away or changes what the user may do ends
every session of theirs at once; deactivation also revokes their API tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlmodel import col

from casework.access.passwords import check_new_password, hash_password
from casework.access.sessions import end_sessions
from casework.access.tokens import ApiToken
from casework.access.users import find_user, membership_errors
from casework.errors import UserNotFound, ValidationError
from casework.runtime import Casework
from casework.storage.tables import User
from casework.storage.uow import UnitOfWork

ACTOR = "system:cli"


def _load(uow: UnitOfWork, username: str) -> User:
    user = find_user(uow.session, username)
    if user is None:
        raise UserNotFound(f"no user {username!r}")
    assert user.id is not None  # loaded from the database
    return user


def _record(uow: UnitOfWork, cw: Casework, action: str, user: User, actor: str, **data: object) -> None:
    uow.record(action, at=cw.now(), actor=actor, role="system", data={"username": user.username, **data})


@dataclass(frozen=True)
class Deactivated:
    user: User
    sessions_ended: int
    tokens_revoked: list[int]


def deactivate(cw: Casework, username: str, actor: str = ACTOR) -> Deactivated:
    """Stop a user from acting: their sessions end and their API tokens are revoked, in one transaction."""
    now = cw.now()
    with cw.uow() as uow:
        user = _load(uow, username)
        assert user.id is not None
        live = col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None)
        revoked = list(uow.session.execute(select(col(ApiToken.id)).where(*live)).scalars())
        uow.session.execute(update(ApiToken).where(*live).values(revoked_at=now))
        user.active = False
        ended = end_sessions(uow, user.id, "deactivated", now, actor)
        _record(uow, cw, "user_deactivated", user, actor, tokens_revoked=revoked, sessions_ended=ended)
        uow.commit()
        return Deactivated(user, ended, revoked)


def activate(cw: Casework, username: str, actor: str = ACTOR) -> User:
    """Let a deactivated user act again (revoked tokens stay revoked)."""
    with cw.uow() as uow:
        user = _load(uow, username)
        if not user.active:
            user.active = True
            _record(uow, cw, "user_activated", user, actor)
            uow.commit()
        return user


def update_membership(
    cw: Casework,
    username: str,
    *,
    roles: list[str] | None = None,
    forces: list[str] | None = None,
    actor: str = ACTOR,
) -> User:
    """Replace a user's roles and/or forces; their sessions end so the change applies at once."""
    if roles is None and forces is None:
        raise ValidationError({"roles": "give new roles, new forces, or both"})
    if errors := membership_errors(cw, roles, forces):
        raise ValidationError(errors)
    with cw.uow() as uow:
        user = _load(uow, username)
        assert user.id is not None
        before = {"roles": list(user.roles), "forces": list(user.forces)}
        if roles is not None:
            user.roles = sorted(set(roles))
        if forces is not None:
            user.forces = sorted(set(forces))
        ended = end_sessions(uow, user.id, "roles_changed", cw.now(), actor)
        _record(
            uow,
            cw,
            "user_updated",
            user,
            actor,
            before=before,
            roles=user.roles,
            forces=user.forces,
            sessions_ended=ended,
        )
        uow.commit()
        return user


def set_password(cw: Casework, username: str, password: str, actor: str = ACTOR) -> User:
    """Give a user a new password (NCSC guidance applies); every session of theirs ends."""
    with cw.reader() as uow:
        known = _load(uow, username)
    check_new_password(password, username=known.username, display_name=known.display_name)
    password_hash = hash_password(password)  # slow on purpose: outside the write transaction
    with cw.uow() as uow:
        user = _load(uow, username)
        assert user.id is not None
        user.password_hash = password_hash
        ended = end_sessions(uow, user.id, "password_changed", cw.now(), actor)
        _record(uow, cw, "password_changed", user, actor, sessions_ended=ended)
        uow.commit()
        return user
