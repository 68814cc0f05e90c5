"""Users: creation with validated roles and forces, argon2 password hashes, look-ups."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from casework.access.actors import Actor
from casework.errors import AuthenticationFailed, UserNotFound, ValidationError
from casework.runtime import Casework
from casework.storage.tables import User
from workflows.a017 import ROLES

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HUMAN_ROLES = tuple(r for r in ROLES if r != "system")
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


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
    bad_roles = sorted(set(roles) - set(HUMAN_ROLES))
    if not roles or bad_roles:
        errors["roles"] = f"choose from {', '.join(HUMAN_ROLES)}" + (
            f"; unknown: {', '.join(bad_roles)}" if bad_roles else ""
        )
    bad_forces = sorted(set(forces) - set(cw.settings.forces))
    if not forces or bad_forces:
        errors["forces"] = f"choose from {', '.join(cw.settings.forces)}" + (
            f"; unknown: {', '.join(bad_forces)}" if bad_forces else ""
        )
    if password is not None and len(password) < MIN_PASSWORD:
        errors["password"] = f"at least {MIN_PASSWORD} characters"
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
    """Check a password; the same message whether the user or the password is wrong."""
    try:
        user = get_user(cw, username)
        if not user.active or not user.password_hash:
            raise AuthenticationFailed("wrong username or password")
        _hasher.verify(user.password_hash, password)
    except (UserNotFound, VerificationError, InvalidHashError):
        raise AuthenticationFailed("wrong username or password") from None
    return user
