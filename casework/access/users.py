"""Users: creation with validated roles and forces, argon2 password hashes, look-ups."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from casework.access.actors import Actor
from casework.access.passwords import check_new_password, hash_password, verify
from casework.errors import AuthenticationFailed, UserNotFound, ValidationError
from casework.runtime import Casework
from casework.storage.tables import User
from workflows.a017 import ROLES

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HUMAN_ROLES = tuple(r for r in ROLES if r != "system")


def membership_errors(cw: Casework, roles: list[str] | None, forces: list[str] | None) -> dict[str, str]:
    """What is wrong with these roles and forces (None: not given, so not checked)."""
    errors: dict[str, str] = {}
    if roles is not None and (not roles or set(roles) - set(HUMAN_ROLES)):
        bad = sorted(set(roles) - set(HUMAN_ROLES))
        errors["roles"] = f"choose from {', '.join(HUMAN_ROLES)}" + (f"; unknown: {', '.join(bad)}" if bad else "")
    if forces is not None and (not forces or set(forces) - set(cw.settings.forces)):
        bad = sorted(set(forces) - set(cw.settings.forces))
        known = ", ".join(cw.settings.forces)
        errors["forces"] = f"choose from {known}" + (f"; unknown: {', '.join(bad)}" if bad else "")
    return errors


def add_user(
    cw: Casework,
    username: str,
    *,
    roles: list[str],
    forces: list[str],
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
) -> User:
    """Create a user; every field is checked and the creation is an audit event."""
    errors: dict[str, str] = {}
    username = (username or "").strip().lower()
    if not _USERNAME.match(username):
        errors["username"] = "2-64 characters: lower-case letters, digits, . _ -; starting with a letter or digit"
    errors.update(membership_errors(cw, roles, forces))
    if password is not None:
        try:
            check_new_password(password, username=username, display_name=display_name)
        except ValidationError as exc:
            errors.update(exc.errors)
    if email and not _EMAIL.match(email):
        errors["email"] = "not an e-mail address"
    if errors:
        raise ValidationError(errors)
    with cw.uow() as uow:
        if find_user(uow.session, username):
            raise ValidationError({"username": f"{username} exists already"})
        user = User(
            username=username,
            display_name=(display_name or username).strip()[:200],
            email=email,
            password_hash=hash_password(password) if password else None,
            roles=sorted(set(roles)),
            forces=sorted(set(forces)),
            created_at=cw.now(),
        )
        uow.session.add(user)
        uow.record(
            "user_added",
            at=cw.now(),
            actor="system:cli",
            role="system",
            data={"username": username, "roles": user.roles, "forces": user.forces},
        )
        uow.commit()
        return user


def set_break_glass(cw: Casework, username: str, allowed: bool) -> User:
    """Let a user sign in with a password while local sign-in is off (or stop it); an audit event."""
    with cw.uow() as uow:
        user = find_user(uow.session, username)
        if user is None:
            raise UserNotFound(f"no user {username!r}")
        if user.break_glass != allowed:
            user.break_glass = allowed
            uow.session.add(user)
            uow.record(
                "user_break_glass_set" if allowed else "user_break_glass_cleared",
                at=cw.now(),
                actor="system:cli",
                role="system",
                data={"username": user.username},
            )
            uow.commit()
        return user


def list_users(cw: Casework) -> list[User]:
    with cw.reader() as uow:
        return list(uow.session.exec(select(User).order_by(User.username)))


def find_user(session: Session, username: str | None) -> User | None:
    """The user with this username (as typed: case and spaces do not matter), inside the caller's transaction."""
    return session.execute(select(User).where(User.username == (username or "").strip().lower())).scalar_one_or_none()


def get_user(cw: Casework, username: str) -> User:
    with cw.reader() as uow:
        user = find_user(uow.session, username)
    if user is None:
        raise UserNotFound(f"no user {username!r}")
    return user


def actor_for(cw: Casework, username: str) -> Actor:
    """The acting user; an inactive account cannot act."""
    user = get_user(cw, username)
    if not user.active:
        raise AuthenticationFailed(f"user {user.username} is deactivated")
    return Actor.of(user)


def authenticate(cw: Casework, username: str, password: str) -> User:
    """Check a password with one argon2 verification whatever is wrong; the same message for every failure."""
    with cw.reader() as uow:
        user = find_user(uow.session, username)
    stored = user.password_hash if user is not None and user.active else None
    if not verify(stored, password) or user is None:
        raise AuthenticationFailed("wrong username or password")
    return user
