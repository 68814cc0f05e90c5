"""API tokens: bearer secrets per user, stored only as a SHA-256 hash, revocable, shown once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Field, SQLModel, col

from casework.access.actors import Actor
from casework.access.users import find_user
from casework.errors import AuthenticationFailed, NotFound, ValidationError
from casework.runtime import Casework
from casework.storage.db import UTCDateTime, try_write
from casework.storage.tables import User

PREFIX = "cw_"
MAX_TOKEN = 200
# Writing last_used_at on every request would serialise readers on SQLite; a minute is precise enough,
# and the write is skipped rather than waited for when the database is locked, full or read-only.
TOUCH_EVERY = timedelta(minutes=1)


class ApiToken(SQLModel, table=True):
    """One bearer token of one user; the secret itself is never stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@dataclass(frozen=True)
class IssuedToken:
    id: int
    username: str
    name: str
    secret: str


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(cw: Casework, username: str, name: str = "api") -> IssuedToken:
    """Create a token for an active user; the secret is returned here and nowhere else."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "a token name of 1-100 characters is required"})
    secret = PREFIX + secrets.token_urlsafe(32)
    with cw.uow() as uow:
        user = find_user(uow.session, username)
        if user is None or not user.active:
            raise NotFound(f"no active user {username!r}")
        assert user.id is not None  # loaded from the database
        token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret), created_at=cw.now())
        uow.session.add(token)
        uow.session.flush()
        uow.record(
            "token_issued",
            at=cw.now(),
            actor="system:cli",
            role="system",
            data={"token_id": token.id, "username": user.username, "name": name},
        )
        uow.commit()
        assert token.id is not None  # flushed above
        return IssuedToken(token.id, user.username, name, secret)


def revoke_token(cw: Casework, token_id: int) -> ApiToken:
    """Revoke a token for good; revoking twice is harmless."""
    with cw.uow() as uow:
        token = uow.session.get(ApiToken, token_id)
        if token is None:
            raise NotFound(f"no API token with id {token_id}")
        if token.revoked_at is None:
            token.revoked_at = cw.now()
            uow.record(
                "token_revoked",
                at=cw.now(),
                actor="system:cli",
                role="system",
                data={"token_id": token.id, "user_id": token.user_id, "name": token.name},
            )
            uow.commit()
        return token


def list_tokens(cw: Casework, username: str | None = None) -> list[tuple[ApiToken, str]]:
    """Tokens with their owner's username, newest first."""
    query = select(ApiToken, col(User.username)).join(User, col(User.id) == col(ApiToken.user_id))
    if username:
        query = query.where(col(User.username) == username.strip().lower())
    with cw.reader() as uow:
        return [tuple(r) for r in uow.session.execute(query.order_by(col(ApiToken.id).desc()))]


def actor_for_token(cw: Casework, secret: str) -> Actor:
    """The user a bearer token acts for; one message for every kind of bad token."""
    refused = AuthenticationFailed("the bearer token is missing, unknown or revoked")
    if not secret or len(secret) > MAX_TOKEN or not secret.startswith(PREFIX):
        raise refused
    with cw.reader() as uow:
        row = uow.session.execute(
            select(ApiToken, User)
            .join(User, col(User.id) == col(ApiToken.user_id))
            .where(col(ApiToken.token_hash) == hash_token(secret))
        ).one_or_none()
    if row is None:
        raise refused
    token, user = row
    if token.revoked_at is not None or not user.active:
        raise refused
    now = cw.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        try_write(cw.engine, update(ApiToken).where(col(ApiToken.id) == token.id).values(last_used_at=now))
    return Actor.of(user)
